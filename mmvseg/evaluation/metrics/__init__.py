# Copyright (c) mmvseg contributors. All rights reserved.
from .davis_metric import (DAVISMetric, boundary_map, boundary_tolerance,
                           contour_accuracy, davis_palette,
                           format_davis_tables, frame_statistics,
                           region_similarity, score_video)
from .tc_protocols import (PROTOCOL_WARP_MODES, WARP_MODES, etc_pair_areas,
                           etc_score, ssp_pair_score, vspw_window_scores,
                           warp_labels)
from .temporal_consistency_metric import TemporalConsistencyMetric
from .video_iou_metric import VideoIoUMetric

__all__ = [
    'DAVISMetric', 'PROTOCOL_WARP_MODES', 'TemporalConsistencyMetric',
    'VideoIoUMetric', 'WARP_MODES', 'boundary_map', 'boundary_tolerance',
    'contour_accuracy', 'davis_palette', 'etc_pair_areas', 'etc_score',
    'format_davis_tables', 'frame_statistics', 'region_similarity',
    'score_video', 'ssp_pair_score', 'vspw_window_scores', 'warp_labels'
]
