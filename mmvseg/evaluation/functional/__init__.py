# Copyright (c) mmvseg contributors. All rights reserved.
"""Pure scoring functions of the metrics (arrays and tensors in, numbers out).

* :mod:`.davis`: DAVIS J and F per frame and object, their per-object
  statistics and the official result tables;
* :mod:`.temporal_consistency`: label warping and the per-pair / per-window
  scores of the ``ssp``, ``etc`` and ``vspw`` temporal-consistency protocols.
"""
from .davis import (GLOBAL_KEYS, VOID_ID, boundary_map, boundary_tolerance,
                    contour_accuracy, format_davis_tables, frame_statistics,
                    region_similarity, score_video)
from .temporal_consistency import (PROTOCOL_WARP_MODES, WARP_MODES,
                                   etc_pair_areas, etc_score, ssp_pair_score,
                                   vspw_window_scores, warp_labels)

__all__ = [
    'GLOBAL_KEYS', 'PROTOCOL_WARP_MODES', 'VOID_ID', 'WARP_MODES',
    'boundary_map', 'boundary_tolerance', 'contour_accuracy', 'etc_pair_areas',
    'etc_score', 'format_davis_tables', 'frame_statistics',
    'region_similarity', 'score_video', 'ssp_pair_score',
    'vspw_window_scores', 'warp_labels'
]
