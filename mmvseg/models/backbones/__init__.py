# Copyright (c) mmvseg contributors. All rights reserved.
from .espnet import ESPBlock, ESPNetEncoder, NormPReLU

__all__ = ['ESPBlock', 'ESPNetEncoder', 'NormPReLU']
