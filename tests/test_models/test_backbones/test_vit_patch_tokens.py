# Copyright (c) mmvseg contributors. All rights reserved.
import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

from mmvseg.models.backbones.vit_patch_tokens import (ViTPatchTokens,
                                                      interpolate_pos_embed)
from mmvseg.registry import MODELS

SPECS = {
    'vit_small_patch16': (16, 384, 6),
    'vit_small_patch8': (8, 384, 6),
    'vit_base_patch16': (16, 768, 12),
}


def _build(arch, seed):
    torch.manual_seed(seed)
    model = MODELS.build(dict(type='ViTPatchTokens', arch=arch)).eval()
    with torch.no_grad():  # a table with structure at the scale of tokens
        model.pos_embed.normal_()
    return model


@pytest.fixture(scope='module')
def vits16():
    return _build('vit_small_patch16', 0)


@pytest.fixture(scope='module')
def vits8():
    return _build('vit_small_patch8', 1)


def _timm_reference(model):
    """A plain (fixed-size) timm ViT holding ``model``'s weights."""
    patch, dim, heads = SPECS[model.arch]
    ref = VisionTransformer(
        img_size=224,
        patch_size=patch,
        embed_dim=dim,
        depth=12,
        num_heads=heads,
        qkv_bias=True,
        num_classes=0,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        weight_init='skip')
    ref.load_state_dict(model.state_dict(), strict=True)
    return ref.eval()


def _dino_pos_embed(pos_embed, height, width, patch):
    """``interpolate_pos_encoding`` of facebookresearch/dino
    ``vision_transformer.py``, re-derived from the source (its ``w, h`` are
    the image height and width)."""
    n = pos_embed.shape[1] - 1
    if n == (height // patch) * (width // patch) and height == width:
        return pos_embed
    dim = pos_embed.shape[-1]
    h0, w0 = height // patch + 0.1, width // patch + 0.1
    table = pos_embed[:, 1:].reshape(1, int(math.sqrt(n)), int(math.sqrt(n)),
                                     dim).permute(0, 3, 1, 2)
    table = F.interpolate(
        table,
        scale_factor=(h0 / math.sqrt(n), w0 / math.sqrt(n)),
        mode='bicubic')
    assert table.shape[-2:] == (int(h0), int(w0))
    table = table.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat((pos_embed[:, :1], table), dim=1)


def _dino_features(ref, x, patch):
    """DINO ``get_intermediate_layers(x, n=1)[0]`` patch tokens computed
    with the reference timm modules, as (N, C, H / p, W / p)."""
    n, _, height, width = x.shape
    tokens = F.conv2d(
        x, ref.patch_embed.proj.weight, ref.patch_embed.proj.bias,
        stride=patch).flatten(2).transpose(1, 2)
    tokens = torch.cat((ref.cls_token.expand(n, -1, -1), tokens), dim=1)
    tokens = tokens + _dino_pos_embed(ref.pos_embed, height, width, patch)
    for block in ref.blocks:
        tokens = block(tokens)
    tokens = ref.norm(tokens)[:, 1:]
    return tokens.reshape(n, height // patch, width // patch,
                          -1).permute(0, 3, 1, 2)


def _cubic_weights(t, a=-0.75):
    """Keys' cubic convolution weights of the 4 taps at offsets -1..2."""
    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return np.array([far(t + 1), near(t), near(1 - t), far(2 - t)])


def _bicubic_1d(values, out_len, scale_factor):
    """Resample the last axis as ``F.interpolate(mode='bicubic',
    scale_factor=...)`` does: source position (i + 0.5) / scale - 0.5, 4
    taps, indices clamped to the border."""
    size = values.shape[-1]
    out = np.empty(values.shape[:-1] + (out_len, ))
    for i in range(out_len):
        src = (i + 0.5) / scale_factor - 0.5
        base = math.floor(src)
        taps = np.clip(np.arange(base - 1, base + 3), 0, size - 1)
        out[..., i] = values[..., taps] @ _cubic_weights(src - base)
    return out


def test_interpolation_uses_the_inflated_scale_factor():
    torch.manual_seed(0)
    pos = torch.randn(1, 1 + 16, 5)
    out = interpolate_pos_embed(pos, 3, 6)
    assert out.shape == (1, 1 + 18, 5)
    torch.testing.assert_close(out[:, 0], pos[:, 0], rtol=0, atol=0)
    grid = pos[0, 1:].reshape(4, 4, 5).permute(2, 0, 1).double().numpy()
    rows = _bicubic_1d(grid.transpose(0, 2, 1), 3, 3.1 / 4)  # (C, 4, 3)
    expected = _bicubic_1d(rows.transpose(0, 2, 1), 6, 6.1 / 4)  # (C, 3, 6)
    np.testing.assert_allclose(
        out[0, 1:].reshape(3, 6, 5).permute(2, 0, 1).numpy(),
        expected,
        atol=1e-5)
    # a resize by size (scale = 4 / 3, 4 / 6) samples elsewhere
    by_size = F.interpolate(
        pos[:, 1:].reshape(1, 4, 4, 5).permute(0, 3, 1, 2),
        size=(3, 6),
        mode='bicubic').permute(0, 2, 3, 1).reshape(1, 18, 5)
    assert (by_size - out[:, 1:]).abs().max() > 1e-3


def test_interpolation_is_skipped_only_on_the_training_grid():
    pos = torch.randn(1, 1 + 16, 5)
    assert interpolate_pos_embed(pos, 4, 4) is pos
    # the +0.1 rule applied to the training grid would not be the identity
    resampled = F.interpolate(
        pos[:, 1:].reshape(1, 4, 4, 5).permute(0, 3, 1, 2),
        scale_factor=(4.1 / 4, 4.1 / 4),
        mode='bicubic')
    assert resampled.shape[-2:] == (4, 4)
    assert not torch.allclose(
        resampled.permute(0, 2, 3, 1).reshape(1, 16, 5), pos[:, 1:])
    for grid in ((4, 5), (5, 4), (2, 8)):
        out = interpolate_pos_embed(pos, *grid)
        torch.testing.assert_close(
            out, _dino_pos_embed(pos, grid[0] * 8, grid[1] * 8, 8))


@pytest.mark.parametrize('fixture, size', [('vits8', (40, 56)),
                                           ('vits16', (80, 112)),
                                           ('vits16', (112, 80))])
def test_matches_dino_at_a_non_square_size(fixture, size, request):
    model = request.getfixturevalue(fixture)
    ref = _timm_reference(model)
    torch.manual_seed(2)
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        (out, ) = model(x)
        expected = _dino_features(ref, x, model.patch_size)
    grid = (size[0] // model.patch_size, size[1] // model.patch_size)
    assert out.shape == (2, 384, *grid) and out.dtype == torch.float32
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_training_size_equals_timm_forward_features(vits16):
    ref = _timm_reference(vits16)
    torch.manual_seed(3)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        (out, ) = vits16(x)
        tokens = ref.forward_features(x)
    assert tokens.shape == (1, 197, 384)
    expected = tokens[:, 1:].reshape(1, 14, 14, 384).permute(0, 3, 1, 2)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('arch', sorted(SPECS))
def test_output_shapes_and_state_dict_keys(arch):
    model = ViTPatchTokens(arch=arch).eval()
    patch, dim, _ = SPECS[arch]
    with torch.no_grad():
        feats = model(torch.randn(2, 3, 32, 48))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, dim, 32 // patch, 48 // patch)
    sd = model.state_dict()
    assert len(sd) == 4 + 12 * 12 + 2
    assert sd['pos_embed'].shape == (1, 1 + (224 // patch)**2, dim)
    assert sd['patch_embed.proj.weight'].shape == (dim, 3, patch, patch)
    assert sd['blocks.11.attn.qkv.bias'].shape == (3 * dim, )
    assert model.norm.eps == 1e-6
    assert not any(k.startswith(('head', 'fc_norm')) for k in sd)


def test_errors(vits16):
    with pytest.raises(ValueError, match='unknown arch'):
        ViTPatchTokens(arch='vit_large_patch16')
    with pytest.raises(ValueError, match=r'40x56 is not a multiple .* 16'):
        vits16(torch.randn(1, 3, 40, 56))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        vits16(torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match='square grid'):
        interpolate_pos_embed(torch.randn(1, 1 + 12, 4), 2, 2)
    with pytest.raises(ValueError, match='empty patch grid'):
        interpolate_pos_embed(torch.randn(1, 1 + 16, 4), 0, 2)
