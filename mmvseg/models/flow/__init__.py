# Copyright (c) mmvseg contributors. All rights reserved.
from .estimators import BaseFlowEstimator, DISFlow, FileFlow, RAFTFlow
from .warp import flow_warp, resize_flow, warp_features

__all__ = [
    'BaseFlowEstimator', 'DISFlow', 'FileFlow', 'RAFTFlow', 'flow_warp',
    'resize_flow', 'warp_features'
]
