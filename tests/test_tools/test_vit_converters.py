# Copyright (c) mmvseg contributors. All rights reserved.
import sys
from collections import OrderedDict
from functools import partial

import pytest
import torch
import torch.nn as nn
from timm.models.vision_transformer import Block, VisionTransformer

from mmvseg.registry import MODELS

from script_loader import load_script

converter = load_script('tools', 'model_converters', 'vit2mmvseg.py')

SPECS = {
    'vit_small_patch16': (16, 384, 6),
    'vit_small_patch8': (8, 384, 6),
    'vit_base_patch16': (16, 768, 12),
}


def _timm_vit(arch, seed):
    """The source encoder: a timm ViT with random weights (timm is what
    DINO, MAE and CatMAE build their encoders from)."""
    patch, dim, heads = SPECS[arch]
    torch.manual_seed(seed)
    vit = VisionTransformer(
        patch_size=patch,
        embed_dim=dim,
        num_heads=heads,
        num_classes=0,
        norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    with torch.no_grad():
        vit.pos_embed.normal_()
    return vit


@pytest.fixture(scope='module')
def vits16():
    return _timm_vit('vit_small_patch16', 0)


def _prefixed(state_dict, prefix):
    return OrderedDict((prefix + k, v) for k, v in state_dict.items())


def _dino_teacher(encoder, prefix='module.'):
    """``main_dino.py`` teacher: ``MultiCropWrapper(backbone, DINOHead)``
    (head: 3-layer MLP, bottleneck, weight-normed last layer)."""
    sd = _prefixed(encoder, prefix + 'backbone.')
    head = {
        'mlp.0.weight': (32, encoder['norm.weight'].shape[0]),
        'mlp.0.bias': (32, ),
        'mlp.2.weight': (32, 32), 'mlp.2.bias': (32, ),
        'mlp.4.weight': (16, 32), 'mlp.4.bias': (16, ),
        'last_layer.weight_g': (64, 1), 'last_layer.weight_v': (64, 16),
    }
    sd.update({
        f'{prefix}head.{k}': torch.randn(shape)
        for k, shape in head.items()
    })
    return sd


def _mae_model(encoder, decoder_dim=32):
    """``models_mae.py`` ``MaskedAutoencoderViT``: encoder keys, then the
    decoder (timm blocks)."""
    sd = OrderedDict(encoder)
    _, num_tokens, width = encoder['pos_embed'].shape
    sd['decoder_embed.weight'] = torch.randn(decoder_dim, width)
    sd['decoder_embed.bias'] = torch.randn(decoder_dim)
    sd['mask_token'] = torch.randn(1, 1, decoder_dim)
    sd['decoder_pos_embed'] = torch.randn(1, num_tokens, decoder_dim)
    for i in range(2):
        sd.update(
            _prefixed(Block(decoder_dim, 4).state_dict(),
                      f'decoder_blocks.{i}.'))
    sd['decoder_norm.weight'] = torch.ones(decoder_dim)
    sd['decoder_norm.bias'] = torch.zeros(decoder_dim)
    pixels = encoder['patch_embed.proj.weight'][0].numel()  # 3 p p
    sd['decoder_pred.weight'] = torch.randn(pixels, decoder_dim)
    sd['decoder_pred.bias'] = torch.randn(pixels)
    return sd


def _catmae_model(encoder, decoder_dim=32):
    """``models_catmae.py``: like MAE, but the decoder blocks are
    cross-attention ``TransformerDecoderLayer``s (same parameter names as
    torch's) and there is a ``decoder_frame_info`` table."""
    sd = _mae_model(encoder, decoder_dim)
    for key in [k for k in sd if k.startswith('decoder_blocks.')]:
        del sd[key]
    for i in range(2):
        layer = nn.TransformerDecoderLayer(
            decoder_dim, 4, dim_feedforward=64, batch_first=True)
        sd.update(_prefixed(layer.state_dict(), f'decoder_blocks.{i}.'))
    sd['decoder_frame_info'] = torch.randn(2, 1, 1, decoder_dim)
    return sd


def _load(converted, arch):
    """The converted dict loaded strictly where a segmentor keeps its
    backbone."""
    holder = nn.ModuleDict(
        dict(backbone=MODELS.build(dict(type='ViTPatchTokens', arch=arch))))
    holder.load_state_dict(converted, strict=True)
    return holder.backbone.eval()


def _assert_same_features(backbone, vit):
    torch.manual_seed(5)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        (out, ) = backbone(x)
        tokens = vit.forward_features(x)[:, 1:]
    side = 224 // backbone.patch_size
    expected = tokens.reshape(1, side, side, -1).permute(0, 3, 1, 2)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('prefix', ['module.', ''])
def test_dino_teacher_converts_and_matches(vits16, prefix):
    teacher = _dino_teacher(vits16.state_dict(), prefix)
    converted, arch = converter.convert_vit(teacher, 'dino')
    assert arch == 'vit_small_patch16'
    assert len(converted) == 150
    assert all(k.startswith('backbone.') for k in converted)
    assert converted['backbone.pos_embed'] is \
        teacher[f'{prefix}backbone.pos_embed']
    _assert_same_features(_load(converted, arch), vits16)


def test_dino_hub_plain_state_dict(vits16):
    converted, arch = converter.convert_vit(vits16.state_dict(), 'dino')
    assert arch == 'vit_small_patch16'
    assert list(converted) == [f'backbone.{k}' for k in vits16.state_dict()]


def test_mae_drops_the_decoder_and_keeps_the_fixed_pos_embed(vits16):
    model = _mae_model(vits16.state_dict())
    converted, arch = converter.convert_vit(model, 'mae')
    assert arch == 'vit_small_patch16' and len(converted) == 150
    assert not any('decoder' in k or 'mask_token' in k for k in converted)
    assert converted['backbone.pos_embed'] is model['pos_embed']
    _assert_same_features(_load(converted, arch), vits16)


def test_catmae_drops_its_decoder(vits16):
    model = _catmae_model(vits16.state_dict())
    assert 'decoder_blocks.1.multihead_attn.in_proj_weight' in model
    converted, arch = converter.convert_vit(model, 'catmae')
    assert arch == 'vit_small_patch16' and len(converted) == 150
    _assert_same_features(_load(converted, arch), vits16)


@pytest.mark.parametrize('arch, source',
                         [('vit_small_patch8', 'catmae'),
                          ('vit_base_patch16', 'dino')])
def test_other_archs_are_inferred_and_load(arch, source):
    patch, dim, heads = SPECS[arch]
    with torch.device('meta'):  # the timm layout, without the init cost
        vit = VisionTransformer(
            patch_size=patch, embed_dim=dim, num_heads=heads, num_classes=0)
    # a distinct constant per tensor shows where each one arrives
    encoder = OrderedDict(
        (key, torch.full(value.shape, float(i)))
        for i, (key, value) in enumerate(vit.state_dict().items()))
    model = (_catmae_model(encoder) if source == 'catmae' else
             _dino_teacher(encoder))
    converted, inferred = converter.convert_vit(model, source)
    assert inferred == arch
    loaded = _load(converted, arch).state_dict()
    assert list(loaded) == list(encoder)
    for key, value in encoder.items():
        assert torch.equal(loaded[key], value), key


@pytest.mark.parametrize('arch', sorted(SPECS))
def test_infer_arch(arch):
    patch, dim, _ = SPECS[arch]
    weight = torch.empty(dim, 3, patch, patch, device='meta')
    assert converter.infer_arch({'patch_embed.proj.weight': weight}) == arch


def test_missing_encoder_key_raises(vits16):
    model = _mae_model(vits16.state_dict())
    del model['blocks.3.attn.proj.bias']
    with pytest.raises(ValueError, match=r'1 missing .*blocks\.3\.attn'):
        converter.convert_vit(model, 'mae')


def test_unexpected_key_raises(vits16):
    model = _mae_model(vits16.state_dict())
    model['fc_norm.weight'] = torch.ones(384)  # a fine-tuned MAE
    with pytest.raises(ValueError, match=r'unexpected keys \[.fc_norm'):
        converter.convert_vit(model, 'mae')
    # the MAE decoder is not a DINO head
    with pytest.raises(ValueError, match='unexpected.*decoder_embed'):
        converter.convert_vit(model, 'dino')


def test_shape_and_arch_errors(vits16):
    sd = vits16.state_dict()
    with pytest.raises(ValueError, match=r'pos_embed has shape \(1, 197, '
                       r'384\), vit_small_patch8 expects \(1, 785, 384\)'):
        converter.convert_vit(sd, 'dino', arch='vit_small_patch8')
    with pytest.raises(ValueError, match='fits none'):
        converter.infer_arch(
            {'patch_embed.proj.weight': torch.empty(1024, 3, 16, 16)})
    with pytest.raises(ValueError, match='no patch_embed.proj.weight'):
        converter.infer_arch({'cls_token': torch.empty(1, 1, 384)})
    with pytest.raises(ValueError, match='unknown source'):
        converter.convert_vit(sd, 'ibot')
    with pytest.raises(ValueError, match='unknown arch'):
        converter.convert_vit(sd, 'dino', arch='vit_large_patch16')
    clash = OrderedDict(sd)
    clash['backbone.norm.weight'] = sd['norm.weight']
    with pytest.raises(ValueError, match="'norm.weight' and "
                       "'backbone.norm.weight' both become"):
        converter.convert_vit(clash, 'dino')


def test_main_saves_state_dict_and_meta(tmp_path, monkeypatch, vits16):
    src = tmp_path / 'checkpoint-399.pth'
    dst = tmp_path / 'out' / 'catmae_vits16.pth'
    model = _catmae_model(vits16.state_dict())
    torch.save({'model': model, 'epoch': 399}, src)
    monkeypatch.setattr(sys, 'argv', [
        'vit2mmvseg', '--source', 'catmae',
        str(src), str(dst)
    ])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta'] == dict(
        source='catmae',
        source_model='minhoooo1/CatMAE models_catmae.py',
        source_file='checkpoint-399.pth',
        arch='vit_small_patch16')
    _assert_same_features(_load(saved['state_dict'], 'vit_small_patch16'),
                          vits16)


def test_main_names_the_file_on_error(tmp_path, monkeypatch, vits16):
    src = tmp_path / 'teacher.pth'
    sd = _dino_teacher(vits16.state_dict())
    del sd['module.backbone.norm.bias']
    torch.save({'teacher': sd}, src)
    monkeypatch.setattr(
        sys, 'argv',
        ['vit2mmvseg', '--source', 'dino',
         str(src), str(tmp_path / 'out.pth')])
    with pytest.raises(ValueError, match=r'teacher\.pth: .*missing.*norm'):
        converter.main()
    assert not (tmp_path / 'out.pth').exists()
