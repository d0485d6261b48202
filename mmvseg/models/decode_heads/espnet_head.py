# Copyright (c) mmvseg contributors. All rights reserved.
"""ESPNet light-weight decoder (Mehta et al., ECCV 2018, Sec. 3.2, Fig. 4d).

Re-implementation of the decoder of ``sacmehta/ESPNet`` (MIT licence,
``train/Model.py``, class ``ESPNet``: ``encoder.classifier``, ``br``,
``up_l3``, ``level3_C``, ``combine_l2_l3``, ``up_l2``, ``conv``,
``classifier``) on top of :class:`~mmvseg.models.backbones.ESPNetEncoder`.
The source's ``test/Model.py`` (the Cityscapes weights) differs in one line:
its last fusion takes the raw 16-channel level-1 convolution instead of the
19-channel level-1 feature; the head builds either from ``in_channels`` and
``in_index`` (see :class:`ESPNetHead`).
"""
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from mmvseg.models.backbones.espnet import ESP_NORM_CFG, ESPBlock, NormPReLU
from mmvseg.registry import MODELS


def _upsample2x(channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """2x2 stride-2 bias-free transposed conv, (N, C, h, w) -> (N, C', 2h, 2w).

    Args:
        channels (int): Input channels C.
        out_channels (int): Output channels C'.
    """
    return nn.ConvTranspose2d(
        channels, out_channels, 2, stride=2, padding=0, bias=False)


def check_halving_levels(levels: List[Tensor], head: str,
                         multiple: int) -> List[Tensor]:
    """Return ``levels`` (finest first) after checking that each is exactly
    half the size of the previous one.

    Raises:
        ValueError: a level of another size (the input size is not a
            multiple of ``multiple``); the message names ``head``.
    """
    for fine, coarse in zip(levels[:-1], levels[1:]):
        if fine.shape[-2:] != tuple(2 * s for s in coarse.shape[-2:]):
            raise ValueError(
                f'{head} needs each level to be exactly half the size of the '
                f'previous one (input size a multiple of {multiple}), got '
                f'{[tuple(x.shape[-2:]) for x in levels]}')
    return levels


@MODELS.register_module()
class ESPNetHead(BaseDecodeHead):
    """ESPNet decoder: projections, ESP fusion and three 2x up-samplings.

    With ``(l1, l2, l3)`` the level 1/2/3 features of the encoder (strides
    2/4/8) and ``C = channels``:

    1. ``y3 = up(BN(conv1x1(l3)))``: the encoder's classifier plus BN,
       up-sampled to stride 4;
    2. ``y2 = up(ESP(BN_PReLU(cat[conv1x1(l2), y3])))`` followed by
       BN + PReLU, at stride 2 (the ESP module has no residual);
    3. ``y1 = conv3x3_BN_PReLU(cat[y2, l1])``;
    4. logits ``= up(y1)`` at full resolution; this last transposed conv is
       ``conv_seg``.

    All convolutions are bias-free, all up-samplings are 2x2 stride-2
    transposed convolutions, the activation is a per-channel PReLU (``act_cfg``
    is ignored). The source uses ``channels == num_classes``.

    The level-1 map of step 3 is the first selected input. The two decoder
    variants of the source differ only in which map that is:

    - ``train/Model.py`` (CamVid weights): encoder level 1, 19 channels,
      ``in_channels=(19, 131, 256)``, ``in_index=(0, 1, 2)`` (the defaults);
    - ``test/Model.py`` (Cityscapes weights): the level-1 conv output before
      the concatenation with the pooled image, 16 channels, from an encoder
      with ``out_level1_conv=True``: ``in_channels=(16, 131, 256)``,
      ``in_index=(3, 1, 2)``.

    Args:
        channels (int): Decoder width C (at least 5 for the ESP module).
        norm_cfg (dict): Config of every normalisation layer. Defaults to
            BatchNorm with ``eps=1e-3`` as in the source.
        in_channels (Sequence[int]): Channels of the level 1/2/3 features.
            Defaults to ``(19, 131, 256)`` (:class:`ESPNetEncoder`, the
            ``train/Model.py`` variant).
        in_index (Sequence[int]): Indices of these levels in the backbone
            output. Defaults to ``(0, 1, 2)``.
        input_transform (str): Must be ``'multiple_select'`` (the default).
        dropout_ratio (float): Dropout before ``conv_seg``; the source has
            none. Defaults to 0.
        **kwargs: Further :class:`BaseDecodeHead` arguments (``num_classes``,
            ``loss_decode``, ``ignore_index``, ...).

    Inputs:
        inputs (tuple[Tensor]): Backbone features; the selected three are
            (N, in_channels[i], H / 2^(i+1), W / 2^(i+1)), float32.

    Returns:
        Tensor: Logits (N, out_channels, H, W), float32.

    Raises:
        ValueError: On an input transform other than ``'multiple_select'``,
            a number of levels other than three, or level sizes that do not
            halve exactly.
    """

    def __init__(self,
                 channels: int,
                 norm_cfg: dict = ESP_NORM_CFG,
                 in_channels: Sequence[int] = (19, 131, 256),
                 in_index: Sequence[int] = (0, 1, 2),
                 input_transform: str = 'multiple_select',
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        if input_transform != 'multiple_select':
            raise ValueError('ESPNetHead needs input_transform='
                             f"'multiple_select', got {input_transform!r}")
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            dropout_ratio=dropout_ratio,
            norm_cfg=norm_cfg,
            **kwargs)
        if len(self.in_channels) != 3:
            raise ValueError('ESPNetHead needs three input levels, got '
                             f'in_channels={self.in_channels}')
        level1_channels, level2_channels, level3_channels = self.in_channels
        self.level3_proj = ConvModule(
            level3_channels, channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.level3_up = _upsample2x(channels, channels)
        self.level2_proj = nn.Conv2d(level2_channels, channels, 1, bias=False)
        self.level2_norm = NormPReLU(2 * channels, norm_cfg)
        self.level2_esp = ESPBlock(2 * channels, channels, norm_cfg=norm_cfg)
        self.level2_up = _upsample2x(channels, channels)
        self.level2_up_norm = NormPReLU(channels, norm_cfg)
        self.level1_fuse = ConvModule(
            level1_channels + channels,
            channels,
            3,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='PReLU', num_parameters=channels))
        self.conv_seg = _upsample2x(channels, self.out_channels)

    def _forward_feature(self, inputs: Sequence[Tensor]) -> Tensor:
        """The feature before the classifier, mmseg's split of ``forward``
        (as ``UPerHead._forward_feature``).

        Returns:
            Tensor: (N, channels, H / 2, W / 2) float32, the fused level-1
            feature that ``conv_seg`` (a 2x up-convolution) classifies.
        """
        level1, level2, level3 = self._transform_inputs(inputs)
        y3 = self.level3_up(self.level3_proj(level3))
        y2 = torch.cat([self.level2_proj(level2), y3], dim=1)
        y2 = self.level2_up_norm(
            self.level2_up(self.level2_esp(self.level2_norm(y2))))
        return self.level1_fuse(torch.cat([y2, level1], dim=1))

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.cls_seg(self._forward_feature(inputs))

    def _transform_inputs(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Select the three levels and check that their sizes halve.

        Raises:
            ValueError: If level i+1 is not exactly half of level i in both
                spatial dimensions (input size not a multiple of 8).
        """
        return check_halving_levels(
            super()._transform_inputs(inputs), type(self).__name__, 8)
