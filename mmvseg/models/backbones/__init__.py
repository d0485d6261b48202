# Copyright (c) mmvseg contributors. All rights reserved.
from .crw_resnet import CRWResNet
from .espnet import ESPBlock, ESPNetEncoder, NormPReLU
from .raw_pixel import RawPixelBackbone

__all__ = ['CRWResNet', 'ESPBlock', 'ESPNetEncoder', 'NormPReLU', 'RawPixelBackbone']
