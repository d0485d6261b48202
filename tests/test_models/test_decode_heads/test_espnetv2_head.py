# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from script_loader import REPO_ROOT

from mmvseg.models.decode_heads import EfficientPWConv, EfficientPyrPool
from mmvseg.registry import MODELS

WIDTHS = (32, 128, 256, 512)


def _features(batch=2, height=64, width=96, widths=WIDTHS):
    return [
        torch.randn(batch, c, height // 2**(i + 1), width // 2**(i + 1))
        for i, c in enumerate(widths)
    ]


def _head(**kwargs):
    cfg = dict(type='ESPNetV2Head', channels=10, num_classes=20)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_head_outputs_stride2_logits():
    head = _head().eval()
    with torch.no_grad():
        logits = head(_features())
    assert logits.shape == (2, 20, 32, 48)
    assert isinstance(head.conv_seg, nn.Conv2d)
    assert head.conv_seg.bias is not None and head.dropout is None
    assert head.align_corners
    assert [p.out is None for p in head.pyramids] == [False] * 3 + [True]


def test_gated_projections_use_gcd_groups():
    head = _head()
    assert [s.expand.conv.groups for s in head.skips] == [64, 16, 32]
    assert [s.gate.weight.shape for s in head.skips] == [
        (64, 256, 1, 1), (48, 128, 1, 1), (32, 32, 1, 1)
    ]


def test_pyramid_levels_have_the_source_sizes():
    pool = EfficientPyrPool(6, 10, 4).eval()
    sizes = []
    for stage in pool.stages:
        stage.register_forward_hook(
            lambda module, args, out: sizes.append(tuple(args[0].shape[-2:])))
    with torch.no_grad():
        out = pool(torch.randn(1, 6, 8, 12))
    # scales 2.0, 1.5, 1.0, 0.5, 0.1: ceil(side * s), at least 5
    assert sizes == [(16, 24), (12, 18), (8, 12), (5, 6), (5, 5)]
    assert out.shape == (1, 4, 8, 12)


def test_pyramid_without_output_conv_returns_the_projection_width():
    pool = EfficientPyrPool(6, 10).eval()
    with torch.no_grad():
        assert pool(torch.randn(1, 6, 3, 4)).shape == (1, 10, 3, 4)


def test_shuffle_gives_each_merge_group_one_channel_of_every_scale():
    pool = EfficientPyrPool(6, 10)
    order = pool.shuffle(torch.arange(50.).view(1, 50, 1, 1)).flatten()
    # group j of the 10-group merge conv reads channel j of the 5 scales
    assert order[:10].tolist() == [0, 10, 20, 30, 40, 1, 11, 21, 31, 41]


def test_gate_scales_the_projection():
    pw = EfficientPWConv(8, 4).eval()
    x = torch.randn(2, 8, 5, 6)
    with torch.no_grad():
        gate = torch.sigmoid(pw.gate(x.mean((2, 3), keepdim=True)))
        torch.testing.assert_close(pw(x), pw.expand(x) * gate)


def test_head_loss_reaches_every_parameter():
    head = _head()
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, 64, 96)))
        sample.set_metainfo(dict(img_shape=(64, 96)))
        samples.append(sample)
    losses = head.loss(_features(), samples, train_cfg=dict())
    losses['loss_ce'].backward()
    unused = [n for n, p in head.named_parameters() if p.grad is None]
    assert unused == []


@pytest.mark.parametrize('config, learnable, unused', [
    ('espnetv2_s2.0_cityscapes-1024x512.py', 789242, 480),
    ('espnetv2_s1.0_cityscapes-1024x512.py', 234010, 224),
])
def test_parameter_count_is_the_readme_count_less_the_unused(
        config, learnable, unused):
    """The README counts the source module, which also holds the three
    never-used PReLUs of the down-samplers' strided EESP units."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'espnetv2', config))
    model = MODELS.build(cfg.model.image_model)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert count == learnable - unused


def test_head_rejects_levels_that_do_not_halve():
    feats = _features()
    feats[3] = torch.randn(2, 512, 4, 7)
    with pytest.raises(ValueError, match='half the size'):
        _head()(feats)


@pytest.mark.parametrize('kwargs, match', [
    (dict(input_transform='resize_concat'), 'multiple_select'),
    (dict(in_channels=(32, 128, 256), in_index=(0, 1, 2)), 'four input'),
    (dict(decoder_channels=(64, 48)), 'three decoder widths'),
])
def test_head_rejects_invalid_configurations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _head(**kwargs)
