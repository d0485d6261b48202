# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp

import pytest
import timm
import torch
from mmengine import Config

from mmvseg.models.backbones.hiera import SAM2Hiera
from mmvseg.registry import MODELS

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _config(name):
    return Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models', name))


STRIDES = (4, 8, 16, 32)


def _on_meta(**kwargs):
    """A ``SAM2Hiera`` without storage (fast to build; enough for checks
    that raise before any computation)."""
    with torch.device('meta'):
        return SAM2Hiera(**kwargs)


@pytest.fixture(scope='module')
def segmentor():
    """The Hiera-S + UPerHead base config, 3 classes, random weights."""
    cfg = _config('upernet_hiera-s.py')
    cfg.model.decode_head.num_classes = 3
    return MODELS.build(cfg.model).eval()


def test_hiera_s_shapes_and_equality_with_plain_timm(segmentor):
    model = segmentor.backbone
    assert isinstance(model, SAM2Hiera)
    assert model.out_channels == (96, 192, 384, 768)
    assert model.strides == STRIDES
    state_dict = model.state_dict()
    assert all(k.startswith('trunk.model.') for k in state_dict)
    with torch.device('meta'):
        reference = timm.create_model(
            'sam2_hiera_small',
            pretrained=False,
            features_only=True,
            out_indices=(0, 1, 2, 3))
    reference.load_state_dict(
        {k[len('trunk.'):]: v
         for k, v in state_dict.items()},
        strict=True,
        assign=True)
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        ours, theirs = model(x), reference.eval()(x)
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 4
    for feat, ref, c, s in zip(ours, theirs, model.out_channels, STRIDES):
        assert feat.shape == (2, c, 64 // s, 96 // s)
        assert feat.dtype == torch.float32
        assert torch.equal(feat, ref)


def test_hiera_base_plus_shapes():
    model = _on_meta(arch='sam2_hiera_base_plus')
    model.to_empty(device='cpu')
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.02, generator=generator)
        feats = model.eval()(torch.randn(1, 3, 32, 64))
    assert model.out_channels == (112, 224, 448, 896)
    assert [tuple(f.shape) for f in feats] == [(1, 112, 8, 16),
                                               (1, 224, 4, 8),
                                               (1, 448, 2, 4),
                                               (1, 896, 1, 2)]
    assert all(torch.isfinite(f).all() for f in feats)


def test_registry_builds_the_backbone():
    with torch.device('meta'):
        model = MODELS.build(
            dict(type='SAM2Hiera', arch='sam2_hiera_base_plus'))
    assert isinstance(model, SAM2Hiera)
    assert model.arch == 'sam2_hiera_base_plus'
    assert len(model.trunk.model.blocks) == 24


@pytest.mark.parametrize('height, width', [(48, 64), (64, 40), (28, 32)])
def test_bad_input_size_raises(height, width):
    model = _on_meta(arch='sam2_hiera_small')
    bad = 'height' if height in (48, 28) else 'width'
    with pytest.raises(ValueError, match=f'input {bad} of'):
        model(torch.zeros(1, 3, height, width, device='meta'))


def test_check_input_size_boundaries():
    for size in (29, 32, 61, 64, 736, 1280):
        SAM2Hiera.check_input_size(size, size)
    for size in (0, 28, 33, 60, 740):
        with pytest.raises(ValueError, match='multiple of 8'):
            SAM2Hiera.check_input_size(size, 64)


def test_bad_arguments_and_input_rank_raise():
    with pytest.raises(ValueError, match='arch must be one of'):
        SAM2Hiera('sam2_hiera_tiny')
    with pytest.raises(ValueError, match='drop_path_rate'):
        SAM2Hiera(drop_path_rate=1.0)
    model = _on_meta()
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        model(torch.zeros(3, 64, 64, device='meta'))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        model(torch.zeros(1, 1, 64, 64, device='meta'))


def test_drop_path_and_frozen():
    model = _on_meta(drop_path_rate=0.2)
    rates = [blk.drop_path1.drop_prob for blk in model.trunk.model.blocks
             if hasattr(blk.drop_path1, 'drop_prob')]
    assert len(rates) == 15 and rates[-1] == pytest.approx(0.2)
    assert model.training
    frozen = _on_meta(frozen=True)
    frozen.train()
    assert not frozen.training and not frozen.trunk.model.training
    assert not any(p.requires_grad for p in frozen.parameters())


@pytest.mark.parametrize('name, backbone, head', [
    ('upernet_hiera-s.py', 33_947_328, 9_224_200),
    ('upernet_hiera-bp.py', 68_675_712, 32_333_832),
])
def test_base_configs_match_the_paper_parameter_counts(name, backbone, head):
    cfg = _config(name)
    assert cfg.model.decode_head.dropout_ratio == 0.0
    assert cfg.model.decode_head.pool_scales == (1, 2, 3, 6)
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.backbone.parameters()) == backbone
    assert sum(p.numel() for p in model.decode_head.parameters()) == head
    assert tuple(cfg.model.decode_head.in_channels) == \
        model.backbone.out_channels


def test_hiera_s_segmentor_runs_on_a_small_input(segmentor):
    with torch.no_grad():
        logits = segmentor(torch.randn(1, 3, 64, 96), mode='tensor')
    assert logits.shape == (1, 3, 16, 24)
