# Copyright (c) mmvseg contributors. All rights reserved.
from .crw_resnet import CRWResNet
from .espnet import ESPBlock, ESPNetEncoder, NormPReLU
from .espnetv2 import EESPBlock, EESPDownsampler, ESPNetV2
from .hiera import SAM2Hiera
from .pspnet18_resnet import Conv2DilatedBasicBlock, PSPNet18ResNet
from .raw_pixel import RawPixelBackbone
from .vit_patch_tokens import ViTPatchTokens

__all__ = [
    'CRWResNet', 'Conv2DilatedBasicBlock', 'EESPBlock', 'EESPDownsampler',
    'ESPBlock', 'ESPNetEncoder', 'ESPNetV2', 'NormPReLU', 'PSPNet18ResNet',
    'RawPixelBackbone', 'SAM2Hiera', 'ViTPatchTokens'
]
