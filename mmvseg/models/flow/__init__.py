# Copyright (c) mmvseg contributors. All rights reserved.
from .estimators import BaseFlowEstimator, DISFlow, FileFlow, RAFTFlow
from .mmflow_estimator import MMFlowEstimator
from .warp import flow_warp, resize_flow, warp_features

__all__ = [
    'BaseFlowEstimator', 'DISFlow', 'FileFlow', 'MMFlowEstimator', 'RAFTFlow',
    'flow_warp', 'resize_flow', 'warp_features'
]
