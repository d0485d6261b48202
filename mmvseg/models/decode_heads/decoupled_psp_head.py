# Copyright (c) mmvseg contributors. All rights reserved.
"""mmseg's PSPHead with pyramid branches of their own width."""
from typing import Sequence

from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.psp_head import PPM, PSPHead

from mmvseg.registry import MODELS


@MODELS.register_module()
class DecoupledPSPHead(PSPHead):
    """mmseg's ``PSPHead`` whose pyramid branches have ``ppm_channels``
    channels while the bottleneck has ``channels``.

    mmseg's head uses one width for both; ETC's PSPNet18
    (irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
    ``model/pspnet_18.py``: ``PPM(512, 128, (1, 2, 3, 6))`` then a 3x3
    conv 1024 -> 256) reduces each branch to ``in_channels / len(bins)``
    and the concatenation with a wider conv. Everything else is mmseg's:
    adaptive average pools, 1x1 ConvModule branches upsampled bilinearly
    (``align_corners``), the input first in the concatenation, the 3x3
    bottleneck, dropout and the 1x1 classifier.

    Args:
        ppm_channels: width of each pyramid branch.
        pool_scales: the pooling bins.
        **kwargs: those of mmseg's ``BaseDecodeHead`` (``in_channels``,
            ``channels`` = bottleneck width, ``num_classes``, ...).
    """

    def __init__(self,
                 ppm_channels: int,
                 pool_scales: Sequence[int] = (1, 2, 3, 6),
                 **kwargs) -> None:
        super().__init__(pool_scales=pool_scales, **kwargs)
        common = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.psp_modules = PPM(
            self.pool_scales,
            self.in_channels,
            ppm_channels,
            align_corners=self.align_corners,
            **common)
        self.bottleneck = ConvModule(
            self.in_channels + len(pool_scales) * ppm_channels,
            self.channels,
            3,
            padding=1,
            **common)
