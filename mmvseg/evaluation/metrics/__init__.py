# Copyright (c) mmvseg contributors. All rights reserved.
from .tc_protocols import (PROTOCOL_WARP_MODES, WARP_MODES, etc_pair_areas,
                           etc_score, ssp_pair_score, vspw_window_scores,
                           warp_labels)
from .temporal_consistency_metric import TemporalConsistencyMetric
from .video_iou_metric import VideoIoUMetric

__all__ = [
    'PROTOCOL_WARP_MODES', 'WARP_MODES', 'TemporalConsistencyMetric',
    'VideoIoUMetric', 'etc_pair_areas', 'etc_score', 'ssp_pair_score',
    'vspw_window_scores', 'warp_labels'
]
