# Copyright (c) mmvseg contributors. All rights reserved.
"""ESPNetv2 base network (Mehta, Rastegari, Shapiro, Hajishirzi, "ESPNetv2: A
Light-weight, Power Efficient, and General Purpose Convolutional Neural
Network", CVPR 2019, Sec. 3-4).

Re-implementation of ``EESPNet`` of ``sacmehta/EdgeNets`` (MIT licence at
HEAD; ``model/classification/espnetv2.py`` with the widths of
``espnetv2_config.py``, blocks of ``nn_layers/eesp.py`` and
``nn_layers/espnet_utils.py``) up to level 4, the part that
``model/segmentation/espnetv2.py`` keeps. The computation is the source's,
so its checkpoints load after the key rename of
``tools/model_converters/espnetv2_2mmvseg.py``.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmvseg.models.backbones.espnet import NormPReLU
from mmvseg.registry import MODELS

# PyTorch's default BatchNorm (eps 1e-5), unlike ESPNet's 1e-3.
ESPNETV2_NORM_CFG = dict(type='BN', requires_grad=True)
# Level 1..4 widths for each scale s (``espnetv2_config.py`` ``sc_ch_dict``).
ESPNETV2_WIDTHS: Dict[float, Tuple[int, int, int, int]] = {
    0.5: (16, 32, 64, 128),
    1.0: (32, 64, 128, 256),
    1.25: (32, 80, 160, 320),
    1.5: (32, 96, 192, 384),
    2.0: (32, 128, 256, 512),
}


def prelu_cfg(channels: int) -> dict:
    """mmcv ``act_cfg`` of a per-channel PReLU (one slope per channel)."""
    return dict(type='PReLU', num_parameters=channels)


def eesp_dilations(branches: int, receptive_limit: int) -> Tuple[int, ...]:
    """Dilation rates of the depth-wise branches of an EESP unit.

    Branch i has the receptive field of a (3 + 2 i)-sized kernel, i.e. a 3x3
    kernel with dilation i + 1; fields larger than ``receptive_limit`` fall
    back to dilation 1, and the rates are sorted (``EESP.__init__``).

    Args:
        branches (int): Number of parallel branches K.
        receptive_limit (int): Largest receptive field (pixels).

    Returns:
        tuple[int]: K ascending dilation rates, e.g. (1, 2, 3, 4) for
        K = 4 and a limit of 9, (1, 1, 2, 3) for a limit of 7.
    """
    return tuple(
        sorted(i + 1 if 3 + 2 * i <= receptive_limit else 1
               for i in range(branches)))


class EESPBlock(BaseModule):
    """Extremely Efficient Spatial Pyramid unit (Sec. 3.1, Fig. 1c, 1d).

    A grouped 1x1 conv-BN-PReLU reduces the input to ``n = C_out / K``
    channels, K depth-wise 3x3 convolutions with the given dilations
    transform it, each branch output is added to the previous one
    (hierarchical feature fusion over all K branches), the concatenation goes
    through BN + PReLU and a grouped 1x1 conv-BN back to ``C_out`` channels.
    With ``stride=1`` the input is added when the shapes agree and a PReLU
    follows; with ``stride=2`` (inside :class:`EESPDownsampler`, the
    source's ``down_method='avg'``) the depth-wise convolutions are strided
    and the block returns the merged map without residual or activation.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out, a multiple of K.
        dilations (Sequence[int]): Dilation of each of the K branches.
        stride (int): 1 or 2. Defaults to 1.
        norm_cfg (dict): Config of the normalisation layers.

    Shape:
        (N, C_in, H, W) -> (N, C_out, ceil(H / stride), ceil(W / stride)).

    Raises:
        ValueError: On a stride other than 1 or 2, or a C_out that is not a
            multiple of the number of branches.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dilations: Sequence[int],
                 stride: int = 1,
                 norm_cfg: dict = ESPNETV2_NORM_CFG) -> None:
        super().__init__()
        branches = len(dilations)
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if out_channels % branches:
            raise ValueError(f'out_channels ({out_channels}) must be a '
                             f'multiple of the {branches} branches')
        width = out_channels // branches
        self.reduce = ConvModule(
            in_channels,
            width,
            1,
            groups=branches,
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(width))
        self.branches = nn.ModuleList(
            nn.Conv2d(
                width,
                width,
                3,
                stride=stride,
                padding=dilation,
                dilation=dilation,
                groups=width,
                bias=False) for dilation in dilations)
        self.merge_norm = NormPReLU(out_channels, norm_cfg)
        self.expand = ConvModule(
            out_channels,
            out_channels,
            1,
            groups=branches,
            norm_cfg=norm_cfg,
            act_cfg=None)
        self.residual = stride == 1 and in_channels == out_channels
        self.activate = nn.PReLU(out_channels) if stride == 1 else None

    def forward(self, x: Tensor) -> Tensor:
        reduced = self.reduce(x)
        outs = [self.branches[0](reduced)]
        for branch in self.branches[1:]:
            outs.append(branch(reduced) + outs[-1])
        out = self.expand(self.merge_norm(torch.cat(outs, dim=1)))
        if self.activate is None:
            return out
        if self.residual:
            out = out + x
        return self.activate(out)


class EESPDownsampler(BaseModule):
    """Strided EESP unit with input reinforcement (Sec. 3.1, Fig. 4).

    ``cat[avgpool3x3/2(x), EESP_stride2(x)] + reinforce(image)``, then PReLU.
    ``reinforce`` is a 3x3 conv-BN-PReLU on the image followed by a 1x1
    conv-BN to ``C_out`` channels; the image must already be down-sampled to
    the output size (the source average-pools it, 3x3 stride 2 padding 1,
    until its height matches).

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out (> C_in; the EESP branch
            makes ``C_out - C_in`` of them, a multiple of K).
        dilations (Sequence[int]): Branch dilations of the strided EESP.
        image_channels (int): Channels of the reinforcing image. Defaults
            to 3.
        norm_cfg (dict): Config of the normalisation layers.

    Inputs:
        x (Tensor): (N, C_in, H, W), float32.
        image (Tensor): (N, image_channels, ceil(H / 2), ceil(W / 2)), the
            input image pooled to the output size.

    Returns:
        Tensor: (N, C_out, ceil(H / 2), ceil(W / 2)).

    Raises:
        ValueError: If the image is not at the output size.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dilations: Sequence[int],
                 image_channels: int = 3,
                 norm_cfg: dict = ESPNETV2_NORM_CFG) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.eesp = EESPBlock(
            in_channels,
            out_channels - in_channels,
            dilations,
            stride=2,
            norm_cfg=norm_cfg)
        self.reinforce = nn.Sequential(
            ConvModule(
                image_channels,
                image_channels,
                3,
                padding=1,
                norm_cfg=norm_cfg,
                act_cfg=prelu_cfg(image_channels)),
            ConvModule(
                image_channels,
                out_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=None))
        self.activate = nn.PReLU(out_channels)

    def forward(self, x: Tensor, image: Tensor) -> Tensor:
        out = torch.cat([self.pool(x), self.eesp(x)], dim=1)
        if image.shape[-2:] != out.shape[-2:]:
            raise ValueError(
                f'the reinforcing image is {tuple(image.shape[-2:])}, the '
                f'down-sampled map {tuple(out.shape[-2:])}')
        return self.activate(out + self.reinforce(image))


@MODELS.register_module()
class ESPNetV2(BaseModule):
    """ESPNetv2 base network, levels 1-4 (the source's ``EESPNet`` without
    level 5 and the classifier, as its segmentation network uses it).

    Level 1 is a strided 3x3 conv-BN-PReLU. Levels 2, 3 and 4 each start
    with an :class:`EESPDownsampler` reinforced by the input image pooled to
    the level's size; level 3 adds 3 and level 4 adds 7 residual EESP units.
    Every unit has 4 branches; the receptive-field limits 13, 11, 9 (level
    2, 3, 4 down-samplers), 9 (level-3 units) and 7 (level-4 units) give the
    branch dilations (1, 2, 3, 4), and (1, 1, 2, 3) in the level-4 units.

    Args:
        scale (float): Width scale s of the source: 0.5, 1.0, 1.25, 1.5 or
            2.0 (level widths in ``ESPNETV2_WIDTHS``, e.g. 32, 128, 256, 512
            for s = 2.0). Defaults to 2.0.
        in_channels (int): Image channels. Defaults to 3.
        norm_cfg (dict): Config of every normalisation layer. Defaults to
            BatchNorm with PyTorch's eps 1e-5, as in the source.
        init_cfg (dict, optional): mmengine initialisation config.

    Inputs:
        x (Tensor): float32 image batch (N, in_channels, H, W), any size.
            Every stride-2 step (3x3 convs and 3x3 average pools, padding 1)
            maps a side s to ceil(s / 2).

    Returns:
        tuple[Tensor]: Levels 1-4, (N, widths[i], ceil(H / 2^(i+1)),
        ceil(W / 2^(i+1))) for i = 0..3, after PReLU.

    Raises:
        ValueError: On an unknown scale.
    """

    def __init__(self,
                 scale: float = 2.0,
                 in_channels: int = 3,
                 norm_cfg: dict = ESPNETV2_NORM_CFG,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if scale not in ESPNETV2_WIDTHS:
            raise ValueError(f'scale must be one of '
                             f'{sorted(ESPNETV2_WIDTHS)}, got {scale}')
        widths = ESPNETV2_WIDTHS[scale]
        self.out_channels = widths
        self.level1 = ConvModule(
            in_channels,
            widths[0],
            3,
            stride=2,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=prelu_cfg(widths[0]))
        self.image_pool = nn.AvgPool2d(3, stride=2, padding=1)

        def down(level: int, receptive_limit: int) -> EESPDownsampler:
            return EESPDownsampler(
                widths[level - 2],
                widths[level - 1],
                eesp_dilations(4, receptive_limit),
                image_channels=in_channels,
                norm_cfg=norm_cfg)

        def units(level: int, depth: int,
                  receptive_limit: int) -> nn.Sequential:
            width = widths[level - 1]
            return nn.Sequential(*(EESPBlock(
                width,
                width,
                eesp_dilations(4, receptive_limit),
                norm_cfg=norm_cfg) for _ in range(depth)))

        self.level2_down = down(2, 13)
        self.level3_down = down(3, 11)
        self.level3 = units(3, 3, 9)
        self.level4_down = down(4, 9)
        self.level4 = units(4, 7, 7)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        image = self.image_pool(x)
        level1 = self.level1(x)
        image = self.image_pool(image)
        level2 = self.level2_down(level1, image)
        image = self.image_pool(image)
        level3 = self.level3(self.level3_down(level2, image))
        image = self.image_pool(image)
        level4 = self.level4(self.level4_down(level3, image))
        return level1, level2, level3, level4
