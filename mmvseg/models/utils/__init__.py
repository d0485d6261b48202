# Copyright (c) mmvseg contributors. All rights reserved.
from .frames import IMAGENET_MEAN_255, IMAGENET_STD_255, imagenet_normalize
from .teacher import build_teacher

__all__ = [
    'IMAGENET_MEAN_255', 'IMAGENET_STD_255', 'build_teacher',
    'imagenet_normalize'
]
