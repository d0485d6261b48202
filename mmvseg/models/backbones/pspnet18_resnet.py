# Copyright (c) mmvseg contributors. All rights reserved.
"""The dilated ResNet-18/34 of ETC's PSPNet18.

ETC (Liu et al., "Efficient Semantic Video Segmentation with Per-frame
Inference", ECCV 2020) builds PSPNet18 from a torchvision ResNet and then
dilates layer3 and layer4 in place
(irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
``model/pspnet_18.py``): in every block the 3x3 ``conv2`` gets dilation and
padding 2 (layer3) or 4 (layer4), ``conv1`` and the downsample conv get
stride 1, ``conv1`` keeps dilation 1. mmseg's ``BasicBlock`` puts a stage's
dilation on ``conv1`` instead, so mmseg's ``ResNet(strides=(1, 2, 1, 1),
dilations=(1, 1, 2, 4))`` has the same weights but another receptive
field. :class:`PSPNet18ResNet` is mmseg's ResNet with the repository's
block.
"""
from mmcv.cnn import build_conv_layer
from mmseg.models.backbones import ResNet
from mmseg.models.backbones.resnet import BasicBlock

from mmvseg.registry import MODELS


class Conv2DilatedBasicBlock(BasicBlock):
    """mmseg's ``BasicBlock`` with its dilation on ``conv2``: ``conv1`` is a
    3x3 conv with the block's stride, dilation 1, padding 1; ``conv2`` a
    3x3 conv with stride 1, dilation and padding ``dilation``."""

    def __init__(self,
                 inplanes: int,
                 planes: int,
                 stride: int = 1,
                 dilation: int = 1,
                 conv_cfg=None,
                 **kwargs) -> None:
        super().__init__(
            inplanes,
            planes,
            stride=stride,
            dilation=1,
            conv_cfg=conv_cfg,
            **kwargs)
        self.conv2 = build_conv_layer(
            conv_cfg,
            planes,
            planes,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.dilation = dilation


@MODELS.register_module()
class PSPNet18ResNet(ResNet):
    """ResNet-18/34 at output stride 8 with ETC's dilation placement.

    A plain 7x7 stride-2 stem with a 3x3 stride-2 max pool (``deep_stem``
    False), layer1 and layer2 as torchvision's, layer3 and layer4 at stride
    1 with ``conv2`` dilated by 2 and 4: a 769x769 crop gives 97x97 maps
    (ETC: ``model/pspnet_18.py``). The parameter names and shapes are
    torchvision's ResNet's (``conv1``, ``bn1``, ``layerX.Y.conv2``,
    ``layerX.Y.downsample.0`` ...), so the ImageNet ResNet-18 state dict
    of torchvision (ETC's ``initmodel/resnet18.pth``) loads without its
    ``fc.*`` keys.

    Args:
        depth: 18 (PSPNet18) or 34.
        **kwargs: mmseg ``ResNet``'s; ``strides`` and ``dilations`` default
            to ``(1, 2, 1, 1)`` and ``(1, 1, 2, 4)``.

    Raises:
        KeyError: another depth.
    """

    arch_settings = {
        18: (Conv2DilatedBasicBlock, (2, 2, 2, 2)),
        34: (Conv2DilatedBasicBlock, (3, 4, 6, 3)),
    }

    def __init__(self, depth: int = 18, **kwargs) -> None:
        kwargs.setdefault('strides', (1, 2, 1, 1))
        kwargs.setdefault('dilations', (1, 1, 2, 4))
        super().__init__(depth=depth, **kwargs)
