# Copyright (c) mmvseg contributors. All rights reserved.
from .frames import IMAGENET_MEAN_255, IMAGENET_STD_255, imagenet_normalize
from .kd_targets import flow_occlusion_mask, kd_consistent_logits
from .teacher import build_teacher

__all__ = [
    'IMAGENET_MEAN_255', 'IMAGENET_STD_255', 'build_teacher',
    'flow_occlusion_mask', 'imagenet_normalize', 'kd_consistent_logits'
]
