# Copyright (c) mmvseg contributors. All rights reserved.
from .espnet import ESPBlock, ESPNetEncoder, NormPReLU
from .raw_pixel import RawPixelBackbone

__all__ = ['ESPBlock', 'ESPNetEncoder', 'NormPReLU', 'RawPixelBackbone']
