# Copyright (c) mmvseg contributors. All rights reserved.
# The scoring functions live in mmvseg.evaluation.functional and davis_palette
# in mmvseg.datasets.davis; they are re-exported for the code that imported
# them from here.
from mmvseg.datasets.davis import davis_palette
from ..functional import (PROTOCOL_WARP_MODES, WARP_MODES, boundary_map,
                          boundary_tolerance, contour_accuracy, etc_pair_areas,
                          etc_score, format_davis_tables, frame_statistics,
                          region_similarity, score_video, ssp_pair_score,
                          vspw_window_scores, warp_labels)
from .davis_metric import DAVISMetric
from .temporal_consistency import (BaseTemporalConsistencyMetric,
                                   ETCTemporalConsistencyMetric,
                                   FlowPairTemporalConsistencyMetric,
                                   SSPTemporalConsistencyMetric,
                                   VSPWTemporalConsistencyMetric)
from .temporal_consistency_metric import TemporalConsistencyMetric
from .video_iou_metric import VideoIoUMetric

__all__ = [
    'BaseTemporalConsistencyMetric', 'DAVISMetric',
    'ETCTemporalConsistencyMetric', 'FlowPairTemporalConsistencyMetric',
    'PROTOCOL_WARP_MODES', 'SSPTemporalConsistencyMetric',
    'TemporalConsistencyMetric', 'VSPWTemporalConsistencyMetric',
    'VideoIoUMetric', 'WARP_MODES', 'boundary_map', 'boundary_tolerance',
    'contour_accuracy', 'davis_palette', 'etc_pair_areas', 'etc_score',
    'format_davis_tables', 'frame_statistics', 'region_similarity',
    'score_video', 'ssp_pair_score', 'vspw_window_scores', 'warp_labels'
]
