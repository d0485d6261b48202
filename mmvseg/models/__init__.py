# Copyright (c) mmvseg contributors. All rights reserved.
from . import (backbones, data_preprocessors, decode_heads, flow, losses,
               propagation, registration, segmentors, utils, video_blocks)

__all__ = [
    'backbones', 'data_preprocessors', 'decode_heads', 'flow', 'losses',
    'propagation', 'registration', 'segmentors', 'utils', 'video_blocks'
]
