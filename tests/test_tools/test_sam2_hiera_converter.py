# Copyright (c) mmvseg contributors. All rights reserved.
import re
import sys
from collections import OrderedDict

import pytest
import timm
import torch

from mmvseg.models.backbones.hiera import SAM2Hiera

from script_loader import load_script

converter = load_script('tools', 'model_converters', 'sam2_hiera2mmvseg.py')

TRUNK = 'image_encoder.trunk.'
# Parameter names of facebookresearch/sam2 sam2/modeling/backbones/hieradet.py
# Hiera (PatchEmbed.proj, MultiScaleBlock, MultiScaleAttention, sam2_utils MLP
# with nn.ModuleList ``layers``).
SAM2_TRUNK_KEY = re.compile(
    r'(pos_embed|pos_embed_window|patch_embed\.proj\.(weight|bias)|'
    r'blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.layers\.[01]|proj)'
    r'\.(weight|bias))$')


def _timm_weights(arch, seed=0):
    """Random tensors in the key layout of timm's ``features_only`` model
    (``model.*``), built without initialising a model."""
    with torch.device('meta'):
        layout = timm.create_model(
            arch, pretrained=False, features_only=True,
            out_indices=(0, 1, 2, 3)).state_dict()
    generator = torch.Generator().manual_seed(seed)
    return OrderedDict(
        (k, torch.randn(v.shape, generator=generator) * 0.05)
        for k, v in layout.items())


def _sam2_checkpoint(timm_weights):
    """A SAM 2 ``model`` state dict: the trunk in the original layout (timm
    names mapped back: ``mlp.fc1/fc2`` -> ``mlp.layers.0/1``) and some
    tensors of the other SAM 2 modules."""
    sd = OrderedDict()
    for key, value in timm_weights.items():
        key = key[len('model.'):].replace('mlp.fc1.', 'mlp.layers.0.')
        sd[TRUNK + key.replace('mlp.fc2.', 'mlp.layers.1.')] = value
    sd['image_encoder.neck.convs.0.conv.weight'] = torch.randn(256, 768, 1, 1)
    sd['image_encoder.neck.position_encoding.foo'] = torch.zeros(1)
    sd['sam_mask_decoder.iou_token.weight'] = torch.randn(1, 256)
    sd['memory_encoder.out_proj.weight'] = torch.randn(64, 256, 1, 1)
    sd['maskmem_tpos_enc'] = torch.randn(7, 1, 1, 64)
    return sd


def _reference(timm_weights, arch):
    with torch.device('meta'):
        model = timm.create_model(
            arch, pretrained=False, features_only=True,
            out_indices=(0, 1, 2, 3))
    model.load_state_dict(timm_weights, strict=True, assign=True)
    return model.eval()


def test_source_layout_is_the_sam2_one():
    sd = _sam2_checkpoint(_timm_weights('sam2_hiera_small'))
    trunk = [k[len(TRUNK):] for k in sd if k.startswith(TRUNK)]
    # 16 blocks x 12 tensors + 3 stage-change projections x 2 + 4 stem
    assert len(trunk) == 202
    assert all(SAM2_TRUNK_KEY.match(k) for k in trunk)
    assert 'blocks.1.proj.weight' in trunk  # Hiera-S stage 2 starts at 1
    assert converter.infer_arch(sd) == 'sam2_hiera_small'


def test_converted_hiera_s_loads_strictly_and_matches_timm():
    weights = _timm_weights('sam2_hiera_small')
    sd = _sam2_checkpoint(weights)
    converted = converter.convert_sam2_hiera(sd)
    assert all(k.startswith('backbone.trunk.model.') for k in converted)
    # every timm tensor arrives, unchanged, at its own name
    assert len(converted) == len(weights) == 202
    for key, value in weights.items():
        assert converted['backbone.trunk.' + key] is value
    with torch.device('meta'):
        model = SAM2Hiera('sam2_hiera_small')
    model.load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in converted.items()}, strict=True, assign=True)
    x = torch.randn(1, 3, 32, 64)
    with torch.no_grad():
        ours = model.eval()(x)
        theirs = _reference(weights, 'sam2_hiera_small')(x)
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_hiera_base_plus_is_inferred_and_complete():
    weights = _timm_weights('sam2_hiera_base_plus')
    sd = _sam2_checkpoint(weights)
    assert converter.infer_arch(sd) == 'sam2_hiera_base_plus'
    converted = converter.convert_sam2_hiera(sd)
    with torch.device('meta'):
        expected = SAM2Hiera('sam2_hiera_base_plus').state_dict()
    assert list(converted) == ['backbone.' + k for k in expected]
    assert all(converted['backbone.' + k].shape == v.shape
               for k, v in expected.items())
    assert converted['backbone.trunk.model.blocks.23.mlp.fc2.weight'] is \
        sd[TRUNK + 'blocks.23.mlp.layers.1.weight']


def test_missing_trunk_key_raises():
    sd = _sam2_checkpoint(_timm_weights('sam2_hiera_small'))
    del sd[TRUNK + 'blocks.3.mlp.layers.1.weight']
    with pytest.raises(ValueError, match=r'1 sam2_hiera_small trunk tensors '
                       r'missing.*blocks\.3\.mlp\.fc2\.weight'):
        converter.convert_sam2_hiera(sd)


def test_unexpected_trunk_key_raises():
    sd = _sam2_checkpoint(_timm_weights('sam2_hiera_small'))
    sd[TRUNK + 'head.norm.weight'] = torch.ones(768)
    with pytest.raises(ValueError,
                       match=r'1 unexpected keys.*trunk\.head\.norm\.weight'):
        converter.convert_sam2_hiera(sd, source='sam2.pt')


def test_wrong_shape_and_arch_raise():
    sd = _sam2_checkpoint(_timm_weights('sam2_hiera_small'))
    sd[TRUNK + 'pos_embed_window'] = torch.zeros(1, 96, 4, 4)
    with pytest.raises(ValueError, match=r'do not fit.*pos_embed_window'):
        converter.convert_sam2_hiera(sd)
    with pytest.raises(ValueError, match='arch must be one of'):
        converter.convert_sam2_hiera(sd, arch='sam2_hiera_large')
    # a Hiera-S checkpoint converted as Hiera-B+: B+ blocks are missing
    with pytest.raises(ValueError, match='sam2_hiera_base_plus trunk'):
        converter.convert_sam2_hiera(sd, arch='sam2_hiera_base_plus')


def test_infer_arch_errors():
    sd = _sam2_checkpoint(_timm_weights('sam2_hiera_small'))
    blocks = [k for k in sd if k.startswith(TRUNK + 'blocks.15.')]
    for key in blocks:  # 15 blocks of width 96: no supported variant
        del sd[key]
    with pytest.raises(ValueError, match='width 96 with 15 blocks'):
        converter.infer_arch(sd, source='x.pt')
    del sd[TRUNK + 'pos_embed']
    with pytest.raises(ValueError, match='x.pt: no 4-D .*pass --arch'):
        converter.infer_arch(sd, source='x.pt')


def test_main_converts_a_file_that_pretrained_init_loads(tmp_path,
                                                         monkeypatch):
    weights = _timm_weights('sam2_hiera_small', seed=1)
    src = tmp_path / 'sam2_hiera_small.pt'
    dst = tmp_path / 'out' / 'hiera-s.pth'
    torch.save({'model': _sam2_checkpoint(weights)}, src)
    monkeypatch.setattr(sys, 'argv', ['sam2_hiera2mmvseg', str(src), str(dst)])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['arch'] == 'sam2_hiera_small'
    assert saved['meta']['source_file'] == 'sam2_hiera_small.pt'
    assert len(saved['state_dict']) == 202
    # the documented way to load it: init_cfg Pretrained, prefix backbone.
    with torch.device('meta'):
        model = SAM2Hiera(
            init_cfg=dict(
                type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    model.to_empty(device='cpu')  # storage only: every value comes from dst
    model.init_weights()
    for key, value in weights.items():
        assert torch.equal(model.state_dict()['trunk.' + key], value)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ours = model.eval()(x)
        theirs = _reference(weights, 'sam2_hiera_small')(x)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_main_missing_source_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        converter.main([str(tmp_path / 'none.pt'), str(tmp_path / 'o.pth')])
