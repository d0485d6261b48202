# Copyright (c) mmvseg contributors. All rights reserved.
"""ESPNetv2 segmentation decoder (Mehta et al., "ESPNetv2", CVPR 2019,
Sec. 4.2; the bottom-up decoder of the authors' code release).

Re-implementation of the decoder of ``ESPNetv2Segmentation`` in
``sacmehta/EdgeNets`` (MIT licence at HEAD;
``model/segmentation/espnetv2.py`` with ``nn_layers/efficient_pyramid_pool.py``
``EfficientPyrPool``, ``nn_layers/efficient_pt.py`` ``EfficientPWConv`` and
``nn_layers/cnn_utils.py``) on top of
:class:`~mmvseg.models.backbones.ESPNetV2`.
"""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from mmvseg.models.backbones.espnet import NormPReLU
from mmvseg.models.backbones.espnetv2 import ESPNETV2_NORM_CFG, prelu_cfg
from mmvseg.registry import MODELS
from .espnet_head import check_halving_levels

#: Pyramid scales of ``EfficientPyrPool`` (the source's default), largest
#: first as the source sorts them.
PYRAMID_SCALES = (2.0, 1.5, 1.0, 0.5, 0.1)


def upsample2x(x: Tensor) -> Tensor:
    """Bilinear x2 up-sampling with ``align_corners=True`` (the source's
    ``ESPNetv2Segmentation.upsample``), (N, C, h, w) -> (N, C, 2h, 2w)."""
    return F.interpolate(
        x, scale_factor=2, mode='bilinear', align_corners=True)


class EfficientPyrPool(nn.Module):
    """Efficient pyramid pooling (the source's ``EfficientPyrPool``).

    A 1x1 conv-BN-PReLU projects the input to P channels. For each scale s
    (largest first) a depth-wise 3x3 convolution runs on the projection
    resized to ``(max(5, ceil(h s)), max(5, ceil(w s)))``: for s < 1 by
    adaptive average pooling, then bilinear back to (h, w); for s > 1 by
    bilinear up-sampling, then adaptive average pooling back; for s = 1 on
    the projection itself (all bilinear resizes with ``align_corners=True``).
    The S results are concatenated, normalised (BN + PReLU), channel-shuffled
    in S groups (so that group j holds channel j of every scale) and merged
    by a 3x3 conv-BN-PReLU with P groups. With ``out_channels`` a 1x1
    conv-BN-PReLU follows; without, the P-channel merge is the output (the
    source's last decoder block, whose 1x1 conv with bias is the
    classifier, ``conv_seg`` of :class:`ESPNetV2Head`).

    Args:
        in_channels (int): Input channels C_in.
        proj_channels (int): Projection width P.
        out_channels (int, optional): Output channels C_out, or None for the
            P-channel merge.
        scales (Sequence[float]): Pyramid scales S; sorted descending.
            Defaults to ``PYRAMID_SCALES``.
        norm_cfg (dict): Config of the normalisation layers.

    Shape:
        (N, C_in, h, w) -> (N, C_out or P, h, w).
    """

    def __init__(self,
                 in_channels: int,
                 proj_channels: int,
                 out_channels: Optional[int] = None,
                 scales: Sequence[float] = PYRAMID_SCALES,
                 norm_cfg: dict = ESPNETV2_NORM_CFG) -> None:
        super().__init__()
        self.scales = tuple(sorted(scales, reverse=True))
        merged = proj_channels * len(self.scales)
        self.project = ConvModule(
            in_channels,
            proj_channels,
            1,
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(proj_channels))
        self.stages = nn.ModuleList(
            nn.Conv2d(
                proj_channels,
                proj_channels,
                3,
                padding=1,
                groups=proj_channels,
                bias=False) for _ in self.scales)
        self.merge_norm = NormPReLU(merged, norm_cfg)
        self.shuffle = nn.ChannelShuffle(len(self.scales))
        self.merge = ConvModule(
            merged,
            proj_channels,
            3,
            padding=1,
            groups=proj_channels,
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(proj_channels))
        self.out = None if out_channels is None else ConvModule(
            proj_channels,
            out_channels,
            1,
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(out_channels))

    def _stage(self, x: Tensor, scale: float, stage: nn.Module) -> Tensor:
        """One pyramid level, returned at the size of ``x``."""
        height, width = x.shape[-2:]
        size = (max(5, math.ceil(height * scale)),
                max(5, math.ceil(width * scale)))
        if scale < 1:
            y = stage(F.adaptive_avg_pool2d(x, size))
            return F.interpolate(
                y, (height, width), mode='bilinear', align_corners=True)
        if scale > 1:
            y = F.interpolate(x, size, mode='bilinear', align_corners=True)
            return F.adaptive_avg_pool2d(stage(y), (height, width))
        return stage(x)

    def forward(self, x: Tensor) -> Tensor:
        x = self.project(x)
        levels = [
            self._stage(x, scale, stage)
            for scale, stage in zip(self.scales, self.stages)
        ]
        pyramid = torch.cat(levels, dim=1)
        out = self.merge(self.shuffle(self.merge_norm(pyramid)))
        return out if self.out is None else self.out(out)


class EfficientPWConv(nn.Module):
    """Gated grouped projection (the source's ``EfficientPWConv``).

    ``sigmoid(conv1x1(global_avg_pool(x))) * conv3x3_BN_PReLU(x)``, the 3x3
    convolution with ``gcd(C_in, C_out)`` groups, the 1x1 gate bias-free.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        norm_cfg (dict): Config of the normalisation layer.

    Shape:
        (N, C_in, h, w) -> (N, C_out, h, w).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: dict = ESPNETV2_NORM_CFG) -> None:
        super().__init__()
        self.gate = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.expand = ConvModule(
            in_channels,
            out_channels,
            3,
            padding=1,
            groups=math.gcd(in_channels, out_channels),
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(out_channels))

    def forward(self, x: Tensor) -> Tensor:
        weights = torch.sigmoid(self.gate(F.adaptive_avg_pool2d(x, 1)))
        return self.expand(x) * weights


@MODELS.register_module()
class ESPNetV2Head(BaseDecodeHead):
    """ESPNetv2 bottom-up decoder with efficient pyramid pooling.

    With ``(l1, l2, l3, l4)`` the backbone levels (strides 2, 4, 8, 16),
    ``EPP`` an :class:`EfficientPyrPool` of projection width
    ``channels`` and ``D = decoder_channels``:

    1. ``y = EPP(l4)`` to D[0] channels;
    2. for ``(l, d) = (l3, D[0]), (l2, D[1]), (l1, D[2])``:
       ``y = BN_PReLU(up2x(y) + EfficientPWConv(l))`` at d channels, then
       ``y = EPP(y)`` to the next width (D[1], D[2]), the last one without
       output convolution (``channels`` wide);
    3. logits ``= conv_seg(y)``, a 1x1 convolution with bias, at stride 2.

    ``up2x`` is bilinear with ``align_corners=True``; keep the head's
    ``align_corners=True`` so that mmseg's resize of the stride-2 logits to
    the input size reproduces the source's final interpolation. The source's
    'city' decoder has D = (64, 48, 32), ``channels = min(num_classes // 2,
    16)`` = 10 for 20 classes.

    Args:
        channels (int): Projection width P of the pyramid poolings and input
            width of ``conv_seg``.
        decoder_channels (Sequence[int]): D, three widths. Defaults to
            ``(64, 48, 32)``.
        pyramid_scales (Sequence[float]): Scales of every pyramid pooling.
            Defaults to ``PYRAMID_SCALES``.
        in_channels (Sequence[int]): Channels of levels 1-4. Defaults to
            ``(32, 128, 256, 512)`` (:class:`ESPNetV2` with s = 2.0).
        in_index (Sequence[int]): Indices of these levels in the backbone
            output. Defaults to ``(0, 1, 2, 3)``.
        input_transform (str): Must be ``'multiple_select'`` (the default).
        dropout_ratio (float): Dropout before ``conv_seg``; the source has
            none. Defaults to 0.
        align_corners (bool): Of mmseg's resizes of the logits. Defaults to
            True (the source's).
        norm_cfg (dict): Config of every normalisation layer. Defaults to
            BatchNorm with eps 1e-5 as in the source.
        **kwargs: Further :class:`BaseDecodeHead` arguments (``num_classes``,
            ``loss_decode``, ``ignore_index``, ...).

    Inputs:
        inputs (tuple[Tensor]): Backbone features; the selected four are
            (N, in_channels[i], H / 2^(i+1), W / 2^(i+1)), float32.

    Returns:
        Tensor: Logits (N, out_channels, H / 2, W / 2), float32.

    Raises:
        ValueError: On an input transform other than ``'multiple_select'``,
            a number of levels other than four, not three decoder widths, or
            level sizes that do not halve exactly (input sides not multiples
            of 16).
    """

    def __init__(self,
                 channels: int,
                 decoder_channels: Sequence[int] = (64, 48, 32),
                 pyramid_scales: Sequence[float] = PYRAMID_SCALES,
                 in_channels: Sequence[int] = (32, 128, 256, 512),
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 input_transform: str = 'multiple_select',
                 dropout_ratio: float = 0.0,
                 align_corners: bool = True,
                 norm_cfg: dict = ESPNETV2_NORM_CFG,
                 **kwargs) -> None:
        if input_transform != 'multiple_select':
            raise ValueError('ESPNetV2Head needs input_transform='
                             f"'multiple_select', got {input_transform!r}")
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            dropout_ratio=dropout_ratio,
            align_corners=align_corners,
            norm_cfg=norm_cfg,
            **kwargs)
        if len(self.in_channels) != 4:
            raise ValueError('ESPNetV2Head needs four input levels, got '
                             f'in_channels={self.in_channels}')
        if len(decoder_channels) != 3:
            raise ValueError('ESPNetV2Head needs three decoder widths, got '
                             f'{decoder_channels}')
        widths = list(decoder_channels) + [None]
        skip_channels = self.in_channels[2::-1]  # l3, l2, l1

        def pyramid(in_width: int, out_width: Optional[int]) -> nn.Module:
            return EfficientPyrPool(in_width, channels, out_width,
                                    pyramid_scales, norm_cfg)

        self.pyramids = nn.ModuleList(
            [pyramid(self.in_channels[3], widths[0])])
        self.skips = nn.ModuleList()
        self.fuse_norms = nn.ModuleList()
        for skip, width, next_width in zip(skip_channels, widths, widths[1:]):
            self.skips.append(EfficientPWConv(skip, width, norm_cfg))
            self.fuse_norms.append(NormPReLU(width, norm_cfg))
            self.pyramids.append(pyramid(width, next_width))

    def _forward_feature(self, inputs: Sequence[Tensor]) -> Tensor:
        """The feature before the classifier, (N, channels, H / 2, W / 2)."""
        levels = self._transform_inputs(inputs)
        y = self.pyramids[0](levels[3])
        for skip, proj, norm, pyramid in zip(levels[2::-1], self.skips,
                                             self.fuse_norms,
                                             self.pyramids[1:]):
            y = pyramid(norm(upsample2x(y) + proj(skip)))
        return y

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.cls_seg(self._forward_feature(inputs))

    def _transform_inputs(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Select the four levels and check that their sizes halve.

        Raises:
            ValueError: If level i+1 is not exactly half of level i in both
                spatial dimensions (input size not a multiple of 16).
        """
        return check_halving_levels(
            super()._transform_inputs(inputs), type(self).__name__, 16)
