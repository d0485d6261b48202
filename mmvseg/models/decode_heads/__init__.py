# Copyright (c) mmvseg contributors. All rights reserved.
from .espnet_head import ESPNetHead

__all__ = ['ESPNetHead']
