# Copyright (c) mmvseg contributors. All rights reserved.
"""Temporal clip blocks of TCB.

TCB (temporal context blending, "VSPW: A Large-scale Dataset for Video Scene
Parsing in the Wild", Miao et al., CVPR 2021) lets the features of frame t
look at those of the previous frames. The two blocks below are those
FraunhoferIVI/SSP builds in ``models/video/modules.py`` (``Clip_PSP_Block``,
``Clip_OCR_Block``), assembled from mmseg's own parts (``psp_head.PPM``,
``ocr_head.SpatialGatherModule``, ``ocr_head.ObjectAttentionBlock``).

Both take the current frame's feature ``feat`` (N, C, h, w) and the features
of the R reference frames, nearest first (``[t-1, t-2, t-3]`` in the
repository), each (N, C, h, w), and return (N, channels, h, w).
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.decode_heads.ocr_head import (ObjectAttentionBlock,
                                                SpatialGatherModule)
from mmseg.models.decode_heads.psp_head import PPM
from mmseg.models.utils import resize
from torch import Tensor, nn

from mmvseg.registry import MODELS


def _check_clip(block: nn.Module, feat: Tensor,
                ref_feats: Sequence[Tensor]) -> None:
    name = type(block).__name__
    if not ref_feats:
        raise ValueError(f'{name} needs at least one reference feature')
    if feat.dim() != 4 or feat.shape[1] != block.in_channels:
        raise ValueError(f'{name} expects (N, {block.in_channels}, h, w) '
                         f'features, got {tuple(feat.shape)}')
    for ref in ref_feats:
        if ref.shape != feat.shape:
            raise ValueError(
                f'{name}: reference features must have the shape of the '
                f'current one {tuple(feat.shape)}, got {tuple(ref.shape)}')


@MODELS.register_module()
class ClipOCRBlock(BaseModule):
    """Object-contextual representations over a clip (FraunhoferIVI/SSP
    ``Clip_OCR_Block(in_dim, out_dim, n_classes, use_memory=False)``, after
    OCR, Yuan et al., ECCV 2020).

    With the T = R + 1 frames stacked as ``[refs..., current]``:

    1. soft object regions ``P = dsn_head(x)`` on every frame:
       Conv3x3(C -> C, bias) + BN + ReLU, Dropout2d, Conv1x1(C -> K);
    2. pixel features ``F = conv(x)``: Conv3x3(C -> C, bias) + BN + ReLU;
    3. class proxies: mmseg's ``SpatialGatherModule`` (softmax of P over the
       pixels, proxies = P @ F, (N, C, K, 1)) on each frame, averaged over
       the T frames (spatio-temporal gathering);
    4. the current frame's F attends to the proxies: mmseg's
       ``ObjectAttentionBlock(C, key_channels)`` (query/key projections of
       two 1x1 ConvModules, value and output projections of one, scaled
       dot-product softmax over the K proxies, 1x1 ConvModule bottleneck on
       cat[context, F]), then Dropout2d;
    5. ``out_conv``: Conv1x1(C -> channels, bias).

    The repository's regions get no loss of their own (no auxiliary loss on
    the DSN head). Its OCR convolutions have a bias before each BatchNorm;
    mmseg's ``ObjectAttentionBlock`` has none there (same function, 3,456
    fewer parameters at C = 768).

    Args:
        in_channels: C.
        channels: output channels (the repository: C).
        num_classes: K, number of soft object regions (the repository: the
            dataset's classes).
        key_channels: channels of the attention (default ``C // 2``).
        dropout_ratio: Dropout2d of the DSN head and after the attention
            (the repository: 0.05).
        scale: softmax temperature of the gathering (1).
        norm_cfg, act_cfg: normalisation and activation layers.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 num_classes: int,
                 key_channels: int = None,
                 dropout_ratio: float = 0.05,
                 scale: float = 1.0,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channels = channels
        self.num_classes = num_classes
        key_channels = key_channels or in_channels // 2
        self.dsn_head = nn.Sequential(
            ConvModule(in_channels, in_channels, 3, padding=1, bias=True,
                       norm_cfg=norm_cfg, act_cfg=act_cfg),
            nn.Dropout2d(dropout_ratio),
            nn.Conv2d(in_channels, num_classes, 1))
        self.conv = ConvModule(
            in_channels, in_channels, 3, padding=1, bias=True,
            norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.gather = SpatialGatherModule(scale)
        self.object_attention = ObjectAttentionBlock(
            in_channels, key_channels, scale=1, conv_cfg=None,
            norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.dropout = nn.Dropout2d(dropout_ratio)
        self.out_conv = nn.Conv2d(in_channels, channels, 1)

    def forward(self, feat: Tensor, ref_feats: Sequence[Tensor]) -> Tensor:
        """The block's output for frame t.

        Args:
            feat: (N, C, h, w) feature of frame t.
            ref_feats: R >= 1 reference features (N, C, h, w), nearest first.

        Returns:
            Tensor: (N, channels, h, w).

        Raises:
            ValueError: no reference, or shapes that differ.
        """
        _check_clip(self, feat, ref_feats)
        clip = torch.cat(list(ref_feats) + [feat])
        num_frames = len(ref_feats) + 1
        regions = self.dsn_head(clip).chunk(num_frames)
        pixels = self.conv(clip).chunk(num_frames)
        proxies = torch.stack([
            self.gather(p, r) for p, r in zip(pixels, regions)
        ]).mean(0)
        out = self.dropout(self.object_attention(pixels[-1], proxies))
        return self.out_conv(out)


@MODELS.register_module()
class ClipPPMBlock(BaseModule):
    """Pyramid pooling over a clip (FraunhoferIVI/SSP
    ``Clip_PSP_Block(in_dim, out_dim)`` with its ``PPM_conv``, after PSPNet,
    Zhao et al., CVPR 2017).

    For each pool scale s, every frame is average-pooled to s x s; the
    pooled maps are weighted per frame and averaged over the T = R + 1
    frames, then projected by the scale's 1x1 ConvModule of mmseg's ``PPM``
    and bilinearly resized to (h, w). The output is
    Conv1x1(bottleneck -> channels, bias) of Dropout2d of
    ``bottleneck``: Conv3x3(C + S * ppm_channels -> bottleneck_channels) +
    BN + ReLU on cat[current feature, S pyramid levels].

    Frame weights (``frame_weights``): w = softmax over the T frames of the
    spatial mean of Conv1x1(C -> 1, no bias) of each frame. The repository
    computes them on the frames ordered ``[refs..., current]`` but applies
    them to the pooled maps ordered ``[current, refs...]``, so the weight of
    frame t-1 scales frame t, that of t-2 scales t-1, ..., and that of t
    scales the farthest reference; ``align_frame_weights=True`` gives every
    frame its own weight. Pooled maps are weighted and then *averaged*
    (``sum(w_i * p_i) / T``), as the repository.

    Args:
        in_channels: C.
        channels: output channels (the repository: C).
        pool_scales: pyramid scales (1, 2, 3, 6).
        ppm_channels: channels of each pyramid level (512).
        bottleneck_channels: channels of the 3x3 bottleneck (512).
        frame_weights: weight the frames (the repository: True).
        align_frame_weights: pair each frame with its own weight (our
            correction; False reproduces the repository).
        dropout_ratio: Dropout2d before the last conv (0.1).
        norm_cfg, act_cfg: normalisation and activation layers.
        align_corners: of the pyramid's resize.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 pool_scales: Sequence[int] = (1, 2, 3, 6),
                 ppm_channels: int = 512,
                 bottleneck_channels: int = 512,
                 frame_weights: bool = True,
                 align_frame_weights: bool = False,
                 dropout_ratio: float = 0.1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channels = channels
        self.align_frame_weights = align_frame_weights
        self.align_corners = align_corners
        self.ppm = PPM(tuple(pool_scales), in_channels, ppm_channels,
                       conv_cfg=None, norm_cfg=norm_cfg, act_cfg=act_cfg,
                       align_corners=align_corners)
        self.frame_weight_conv = nn.Conv2d(in_channels, 1, 1, bias=False) \
            if frame_weights else None
        self.bottleneck = ConvModule(
            in_channels + len(pool_scales) * ppm_channels,
            bottleneck_channels, 3, padding=1, norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.dropout = nn.Dropout2d(dropout_ratio)
        self.out_conv = nn.Conv2d(bottleneck_channels, channels, 1)

    def frame_weights(self, feat: Tensor,
                      ref_feats: Sequence[Tensor]) -> Tensor:
        """(N, 1, 1, 1, T) weights of the pooled maps ``[current, refs...]``
        (softmax over T; the repository's pairing unless
        ``align_frame_weights``)."""
        frames = list(ref_feats) + [feat]  # the repository's order
        logits = torch.stack(
            [self.frame_weight_conv(f).mean((2, 3), keepdim=True)
             for f in frames], dim=-1)
        weights = F.softmax(logits, dim=-1)
        if self.align_frame_weights:  # back to [current, refs...]
            weights = torch.cat([weights[..., -1:], weights[..., :-1]], -1)
        return weights

    def forward(self, feat: Tensor, ref_feats: Sequence[Tensor]) -> Tensor:
        """The block's output for frame t.

        Args:
            feat: (N, C, h, w) feature of frame t.
            ref_feats: R >= 1 reference features (N, C, h, w), nearest first.

        Returns:
            Tensor: (N, channels, h, w).

        Raises:
            ValueError: no reference, or shapes that differ.
        """
        _check_clip(self, feat, ref_feats)
        frames = [feat] + list(ref_feats)
        weights = None if self.frame_weight_conv is None else \
            self.frame_weights(feat, ref_feats)
        levels = [feat]
        for stage in self.ppm:
            pool, project = stage[0], stage[1]
            pooled = torch.stack([pool(f) for f in frames], dim=-1)
            if weights is not None:
                pooled = pooled * weights
            levels.append(
                resize(
                    project(pooled.mean(-1)),
                    size=feat.shape[2:],
                    mode='bilinear',
                    align_corners=self.align_corners))
        out = self.bottleneck(torch.cat(levels, dim=1))
        return self.out_conv(self.dropout(out))
