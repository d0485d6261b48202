# Copyright (c) mmvseg contributors. All rights reserved.
"""Patch tokens of a plain ViT encoder (DINO, MAE, CatMAE) as a feature map.

Feature extractor of the ViT label-propagation baselines on DAVIS-2017
(``facebookresearch/dino`` ``eval_video_segmentation.py``; CatMAE
``downstream/davis2017-seg/code/test_mae.py``): ViT-S/16 and ViT-B/16 give a
stride-16 grid (30 x 55 for CatMAE's 480 x 880 frames), ViT-S/8 a stride-8
grid (60 x 110). It is the encoder of ``facebookresearch/dino``
``vision_transformer.py`` (``VisionTransformer.get_intermediate_layers(x,
n=1)[0]``), of ``facebookresearch/mae`` ``models_mae.py`` and of
``minhoooo1/CatMAE`` ``downstream/davis2017-seg/code/models_mae.py``. All
three are the ViT of Dosovitskiy et al. (ICLR 2021) with timm blocks; the
modules here are timm's (``timm.models.vision_transformer.VisionTransformer``),
so the parameter names are the ones of the three repositories and their
checkpoints load after the prefix operations of
``tools/model_converters/vit2mmvseg.py``.
"""
import math
from functools import partial
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from timm.models.vision_transformer import VisionTransformer
from torch import Tensor

from mmvseg.registry import MODELS

# Architectures of DINO ``vit_small`` / ``vit_base`` and CatMAE ``vits16``,
# ``vits8``, ``vitb16``: 12 blocks, MLP ratio 4, qkv bias, LayerNorm eps 1e-6.
VIT_ARCHS: Dict[str, Dict[str, int]] = {
    'vit_small_patch16': dict(patch_size=16, embed_dim=384, num_heads=6),
    'vit_small_patch8': dict(patch_size=8, embed_dim=384, num_heads=6),
    'vit_base_patch16': dict(patch_size=16, embed_dim=768, num_heads=12),
}
VIT_DEPTH = 12
# Side of the (square) training images; the position table has
# (TRAIN_SIZE / p) ** 2 patch entries plus one for the CLS token.
TRAIN_SIZE = 224
LAYER_NORM_EPS = 1e-6


def interpolate_pos_embed(pos_embed: Tensor, grid_h: int,
                          grid_w: int) -> Tensor:
    """Resize a CLS + square-grid position table to an ``h x w`` grid.

    The rule of DINO ``VisionTransformer.interpolate_pos_encoding`` (copied
    verbatim by CatMAE ``models_mae.py``): the patch entries, reshaped
    row-major to (1, C, s, s), are resampled by ``F.interpolate(...,
    scale_factor=((h + 0.1) / s, (w + 0.1) / s), mode='bicubic')``
    (``align_corners=False``, no ``recompute_scale_factor``), so the
    sampling positions follow the inflated scale factor, not the size ratio
    ``h / s``. The CLS entry is kept. When the grid is the training grid
    (``h == w == s``) the table is returned unchanged.

    Args:
        pos_embed: (1, 1 + s * s, C) float table, CLS entry first.
        grid_h: number of patch rows h >= 1.
        grid_w: number of patch columns w >= 1.

    Returns:
        Tensor: (1, 1 + h * w, C) table of the dtype of ``pos_embed``, patch
        entries row-major.

    Raises:
        ValueError: ``pos_embed`` is not (1, 1 + s * s, C) for an integer s,
            or the grid is empty.
    """
    if pos_embed.dim() != 3 or pos_embed.shape[0] != 1:
        raise ValueError('pos_embed must be (1, 1 + s * s, C), got '
                         f'{tuple(pos_embed.shape)}')
    num_patches = pos_embed.shape[1] - 1
    side = math.isqrt(max(num_patches, 0))
    if num_patches < 1 or side * side != num_patches:
        raise ValueError('pos_embed must hold a CLS entry and a square grid, '
                         f'got {pos_embed.shape[1]} entries')
    if grid_h < 1 or grid_w < 1:
        raise ValueError(f'empty patch grid {grid_h}x{grid_w}')
    if grid_h == side and grid_w == side:
        return pos_embed
    dim = pos_embed.shape[2]
    grid = pos_embed[:, 1:].reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(
        grid,
        scale_factor=((grid_h + 0.1) / math.sqrt(num_patches),
                      (grid_w + 0.1) / math.sqrt(num_patches)),
        mode='bicubic')
    grid = grid.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, dim)
    return torch.cat((pos_embed[:, :1], grid), dim=1)


@MODELS.register_module()
class ViTPatchTokens(BaseModule):
    """Final-LayerNorm patch tokens of a ViT, reshaped to a feature map.

    Computation (DINO ``vision_transformer.py``, CatMAE ``models_mae.py``):
    patch embedding (conv with kernel = stride = p), CLS token prepended,
    position table added (resized by :func:`interpolate_pos_embed` for a
    grid other than the 224x224 one), 12 timm ``Block``s, final LayerNorm
    (eps 1e-6) on all tokens; the CLS
    token is dropped and the ``(H / p) * (W / p)`` patch tokens are laid out
    row-major. This is DINO's ``get_intermediate_layers(x, n=1)[0][:, 1:]``
    and the output of CatMAE's ``MaskedAutoencoderViT.forward`` without CLS
    (MAE's ``cls_token + pos_embed[:, :1]`` is the same sum). timm's
    attention may use ``F.scaled_dot_product_attention``, which differs from
    the explicit softmax of the source repositories by float rounding only.

    Inputs are expected as the sources feed them: RGB normalised with the
    ImageNet mean/std (the data preprocessor's job).

    Parameter names are timm's and the sources': ``cls_token``,
    ``pos_embed`` (1, 1 + (224 / p) ** 2, C), ``patch_embed.proj.*``,
    ``blocks.<i>.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*``,
    ``norm.*``.

    Args:
        arch: one of ``'vit_small_patch16'`` (C = 384, 6 heads, p = 16),
            ``'vit_small_patch8'`` (384, 6, 8) or ``'vit_base_patch16'``
            (768, 12, 16).
        init_cfg: mmengine init config (e.g. ``Pretrained`` with a converted
            checkpoint); without one the weights are timm's random init.

    Shape:
        (N, 3, H, W) float, H and W multiples of p -> a tuple with one
        (N, C, H / p, W / p) tensor (stride p).

    Raises:
        ValueError: an unknown ``arch``; in :meth:`forward`, an input that is
            not (N, 3, H, W) or whose H or W is not a multiple of p.
    """

    def __init__(self, arch: str = 'vit_small_patch16', init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in VIT_ARCHS:
            raise ValueError(f'unknown arch {arch!r}; expected one of '
                             f'{sorted(VIT_ARCHS)}')
        self.arch = arch
        self.patch_size = VIT_ARCHS[arch]['patch_size']
        self.embed_dim = VIT_ARCHS[arch]['embed_dim']
        vit = VisionTransformer(
            img_size=TRAIN_SIZE,
            depth=VIT_DEPTH,
            mlp_ratio=4.,
            qkv_bias=True,
            class_token=True,
            num_classes=0,
            global_pool='token',
            dynamic_img_size=True,
            norm_layer=partial(nn.LayerNorm, eps=LAYER_NORM_EPS),
            **VIT_ARCHS[arch])
        # Keep only the encoder parts, at the top level, so that the names
        # are those of the source checkpoints.
        self.patch_embed = vit.patch_embed
        self.cls_token = vit.cls_token
        self.pos_embed = vit.pos_embed
        self.blocks = vit.blocks
        self.norm = vit.norm

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError('ViTPatchTokens expects (N, 3, H, W) images, got '
                             f'{tuple(x.shape)}')
        height, width = x.shape[-2:]
        p = self.patch_size
        if height % p or width % p:
            raise ValueError(f'input size {height}x{width} is not a multiple '
                             f'of the patch size {p} ({self.arch})')
        grid_h, grid_w = height // p, width // p
        tokens = self.patch_embed(x).flatten(1, 2)  # (N, h * w, C)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        tokens = torch.cat((cls, tokens), dim=1)
        tokens = tokens + interpolate_pos_embed(self.pos_embed, grid_h,
                                                grid_w)
        tokens = self.norm(self.blocks(tokens))
        feats = tokens[:, 1:].transpose(1, 2).reshape(-1, self.embed_dim,
                                                      grid_h, grid_w)
        return (feats, )
