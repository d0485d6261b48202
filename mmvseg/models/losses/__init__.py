# Copyright (c) mmvseg contributors. All rights reserved.
from .etc_distillation import (CITYSCAPES_ETC_CLASS_WEIGHTS,
                               ConvLSTMDistillationLoss,
                               PairwiseSimilarityDistillationLoss,
                               PixelwiseKDLoss,
                               SpatialSimilarityDistillationLoss,
                               pairwise_similarity)
from .kd_loss import SoftLabelKDLoss
from .temporal_consistency_loss import TemporalConsistencyLoss
from .temporal_motion_loss import TemporalMotionLoss, motion_mask
from .weighted_cross_entropy_loss import WeightedCrossEntropyLoss

__all__ = [
    'CITYSCAPES_ETC_CLASS_WEIGHTS', 'ConvLSTMDistillationLoss',
    'PairwiseSimilarityDistillationLoss', 'PixelwiseKDLoss', 'SoftLabelKDLoss',
    'SpatialSimilarityDistillationLoss', 'TemporalConsistencyLoss',
    'TemporalMotionLoss', 'WeightedCrossEntropyLoss', 'motion_mask',
    'pairwise_similarity'
]
