# Copyright (c) mmvseg contributors. All rights reserved.
"""ESPNet-C encoder (Mehta et al., "ESPNet: Efficient Spatial Pyramid of
Dilated Convolutions for Semantic Segmentation", ECCV 2018, Sec. 3).

Re-implementation of the encoder of ``sacmehta/ESPNet`` (MIT licence,
``train/Model.py`` and ``test/Model.py``: ``ESPNet_Encoder`` and its building
blocks) as mmseg modules. The computation is the source's, so its
checkpoints load after the key rename of
``tools/model_converters/espnet2mmvseg.py``; the encoder's 1x1
classifier lives in :class:`~mmvseg.models.decode_heads.ESPNetHead` because
it depends on the number of classes.
"""
from typing import Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmvseg.registry import MODELS

# Dilation rates of the five parallel branches of an ESP module (Sec. 3.1).
ESP_DILATIONS = (1, 2, 4, 8, 16)
# ESPNet's batch norms all use this epsilon (``train/Model.py``).
ESP_NORM_CFG = dict(type='BN', eps=1e-3, requires_grad=True)


class NormPReLU(BaseModule):
    """Normalisation followed by a per-channel PReLU (the source's ``BR``).

    Args:
        channels (int): Number of channels C.
        norm_cfg (dict): Config of the normalisation layer. Defaults to
            BatchNorm with ``eps=1e-3``.

    Shape:
        (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, channels: int, norm_cfg: dict = ESP_NORM_CFG) -> None:
        super().__init__()
        self.norm_name, norm = build_norm_layer(norm_cfg, channels)
        self.add_module(self.norm_name, norm)
        self.activate = nn.PReLU(channels)

    @property
    def norm(self) -> nn.Module:
        """The normalisation layer (registered as ``bn`` for BatchNorm)."""
        return getattr(self, self.norm_name)

    def forward(self, x: Tensor) -> Tensor:
        return self.activate(self.norm(x))


class ESPBlock(BaseModule):
    """ESP module: reduce, split, dilated transform, HFF, merge (Sec. 3.1).

    A convolution reduces the input to ``n = out_channels // 5`` channels; five
    parallel 3x3 convolutions with dilation 1, 2, 4, 8, 16 transform it (the
    dilation-1 branch outputs ``out_channels - 4 n`` channels, the others
    ``n``). Hierarchical feature fusion (HFF) replaces the outputs of the
    dilated branches d2, d4, d8, d16 by their cumulative sums before all five
    are concatenated. An optional identity shortcut is added, then
    normalisation and PReLU.

    With ``stride=2`` the reduction is a 3x3 stride-2 convolution (the
    source's ``DownSamplerB``); with ``stride=1`` it is a 1x1 convolution (the
    source's ``DilatedParllelResidualBlockB``). All convolutions are bias-free.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out (at least 5).
        stride (int): 1 or 2. Defaults to 1.
        residual (bool): Add the input to the merged branches; needs
            ``stride == 1`` and ``C_in == C_out``. Defaults to False.
        norm_cfg (dict): Config of the normalisation layer.

    Shape:
        (N, C_in, H, W) -> (N, C_out, ceil(H / stride), ceil(W / stride)).

    Raises:
        ValueError: On an invalid stride, fewer than 5 output channels, or a
            residual connection between different shapes.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 residual: bool = False,
                 norm_cfg: dict = ESP_NORM_CFG) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if out_channels < len(ESP_DILATIONS):
            raise ValueError(f'out_channels must be >= 5, got {out_channels}')
        if residual and (stride != 1 or in_channels != out_channels):
            raise ValueError('a residual ESP block needs stride 1 and '
                             f'in_channels == out_channels, got stride '
                             f'{stride}, {in_channels} -> {out_channels}')
        width = out_channels // len(ESP_DILATIONS)
        first_width = out_channels - (len(ESP_DILATIONS) - 1) * width
        kernel = 3 if stride == 2 else 1
        self.reduce = nn.Conv2d(
            in_channels,
            width,
            kernel,
            stride=stride,
            padding=kernel // 2,
            bias=False)
        self.branches = nn.ModuleList(
            nn.Conv2d(
                width,
                first_width if i == 0 else width,
                3,
                padding=dilation,
                dilation=dilation,
                bias=False) for i, dilation in enumerate(ESP_DILATIONS))
        self.residual = residual
        self.norm_act = NormPReLU(out_channels, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        reduced = self.reduce(x)
        outs = [branch(reduced) for branch in self.branches]
        for i in range(2, len(outs)):
            outs[i] = outs[i - 1] + outs[i]
        merged = torch.cat(outs, dim=1)
        if self.residual:
            merged = merged + x
        return self.norm_act(merged)


@MODELS.register_module()
class ESPNetEncoder(BaseModule):
    """ESPNet-C encoder without its classifier (Sec. 3.2, Fig. 4c).

    Level 1 is a strided 3x3 conv-BN-PReLU (16 channels) concatenated with the
    image average-pooled once (3x3, stride 2, padding 1). Level 2 is a strided
    ESP module to 64 channels followed by ``p`` residual ESP modules; its
    output is concatenated with the strided module's output and the image
    pooled twice. Level 3 is a strided ESP module to 128 channels followed by
    ``q`` residual ESP modules, concatenated with the strided module's output.
    Each concatenation is followed by BN + PReLU.

    Args:
        p (int): Residual ESP modules at level 2. Defaults to 2.
        q (int): Residual ESP modules at level 3. Defaults to 8.
        in_channels (int): Image channels. Defaults to 3.
        norm_cfg (dict): Config of every normalisation layer. Defaults to
            BatchNorm with ``eps=1e-3`` as in the source.
        out_level1_conv (bool): Also return the level-1 conv-BN-PReLU output
            before its concatenation with the pooled image, as a fourth map.
            The decoder of the source's ``test/Model.py`` (the Cityscapes
            weights) fuses this map instead of level 1. Defaults to False.
        init_cfg (dict, optional): mmengine initialisation config.

    Inputs:
        x (Tensor): float32 image batch (N, in_channels, H, W), any size.
            Every stride-2 step (3x3 convs and the 3x3 average pool, padding
            1) maps a side s to ceil(s / 2), so level k has side
            ceil(H / 2^k). The decoder (``ESPNetHead``) needs H and W to be
            multiples of 8 so that its transposed convolutions restore the
            exact level sizes (360x480 CamVid frames qualify); pad other
            sizes, e.g. with ``size_divisor=8`` in ``SegDataPreProcessor``.
            Used alone (e.g. as label-propagation features) any size works:
            480x854 -> 60x107 at level 3.

    Returns:
        tuple[Tensor]: Three feature maps after BN + PReLU, and optionally a
        fourth:

        - level 1, (N, 16 + in_channels, H / 2, W / 2): cat[conv, image/2];
        - level 2, (N, 128 + in_channels, H / 4, W / 4):
          cat[last ESP module, strided ESP module, image/4];
        - level 3, (N, 256, H / 8, W / 8):
          cat[strided ESP module, last ESP module];
        - with ``out_level1_conv``, the level-1 conv-BN-PReLU output
          (N, 16, H / 2, W / 2);

        with each division rounded up.
    """

    def __init__(self,
                 p: int = 2,
                 q: int = 8,
                 in_channels: int = 3,
                 norm_cfg: dict = ESP_NORM_CFG,
                 out_level1_conv: bool = False,
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg)
        self.out_level1_conv = out_level1_conv
        self.out_channels = (16 + in_channels, 128 + in_channels, 256)
        if out_level1_conv:
            self.out_channels += (16, )
        self.level1 = ConvModule(
            in_channels,
            16,
            3,
            stride=2,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='PReLU', num_parameters=16))
        self.image_pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.level1_norm = NormPReLU(self.out_channels[0], norm_cfg)
        self.level2_down = ESPBlock(
            self.out_channels[0], 64, stride=2, norm_cfg=norm_cfg)
        self.level2 = nn.Sequential(
            *(ESPBlock(64, 64, residual=True, norm_cfg=norm_cfg)
              for _ in range(p)))
        self.level2_norm = NormPReLU(self.out_channels[1], norm_cfg)
        self.level3_down = ESPBlock(
            self.out_channels[1], 128, stride=2, norm_cfg=norm_cfg)
        self.level3 = nn.Sequential(
            *(ESPBlock(128, 128, residual=True, norm_cfg=norm_cfg)
              for _ in range(q)))
        self.level3_norm = NormPReLU(self.out_channels[2], norm_cfg)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        image_2 = self.image_pool(x)
        image_4 = self.image_pool(image_2)

        level1_conv = self.level1(x)
        level1 = self.level1_norm(torch.cat([level1_conv, image_2], dim=1))

        down2 = self.level2_down(level1)
        level2 = self.level2_norm(
            torch.cat([self.level2(down2), down2, image_4], dim=1))

        down3 = self.level3_down(level2)
        level3 = self.level3_norm(
            torch.cat([down3, self.level3(down3)], dim=1))
        if self.out_level1_conv:
            return level1, level2, level3, level1_conv
        return level1, level2, level3
