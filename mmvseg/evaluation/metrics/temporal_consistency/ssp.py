# Copyright (c) mmvseg contributors. All rights reserved.
"""The ``ssp`` temporal-consistency protocol."""
import math
from typing import Dict, List

import numpy as np
from mmseg.structures import SegDataSample

from mmvseg.registry import METRICS
from ...functional import ssp_pair_score
from .flow_pairs import FlowPairTemporalConsistencyMetric


@METRICS.register_module()
class SSPTemporalConsistencyMetric(FlowPairTemporalConsistencyMetric):
    """Temporal consistency as FraunhoferIVI/SSP computes it.

    Source: FraunhoferIVI/SSP ``utils/metrics.py`` ``temporal_consistency``.
    For every consecutive pair (t, t+1) of a clip (all frames, labelled or
    not), the prediction of t+1 is warped onto t with ``f_{t->t+1}``
    (default ``warp_mode='legacy_nearest'``: the repository's nearest warp)
    and scored by :func:`~mmvseg.evaluation.functional.ssp_pair_score`, the
    macro IoU over the classes present in either map::

        s_t = mean_{c: |P_t = c| + |W_t = c| > 0} |P_t = c & W_t = c|
                                                  / |P_t = c | W_t = c|
        TC_clip = mean_t s_t        (clips with fewer than 2 frames skipped)
        TC = mean over clips of TC_clip   (not weighted by clip length)

    The repository estimates ``f_{t->t+1}`` with RAFT-large (20 iterations);
    the default here is OpenCV DIS (``dict(type='DISFlow')``), so absolute
    values differ unless the same flow is used.

    ``process`` appends per clip ``dict(score_sum=float, num_pairs=int)``
    (sum of the ``s_t`` of the clip and their count). ``compute_metrics``
    returns, in this order: ``TC`` (float, %, two decimals), ``TC_protocol``
    (``'ssp'``), ``TC_warp_mode`` and ``TC_flow`` (str); with the default
    prefix the keys become ``tc_ssp/TC``, ….

    Args: see :class:`FlowPairTemporalConsistencyMetric`.

    Raises:
        ValueError: see :class:`FlowPairTemporalConsistencyMetric`; in
            ``process`` see :meth:`warped_pairs`.

    Example:
        >>> metric = SSPTemporalConsistencyMetric(
        ...     flow=dict(type='FileFlow', flow_root='data/flow'))
        >>> metric.prefix, metric.warp_mode, metric.score_keys
        ('tc_ssp', 'legacy_nearest', ('TC',))
    """

    protocol = 'ssp'

    def clip_summary(self, frames: List[SegDataSample]) -> dict:
        """``dict(score_sum, num_pairs)`` of one clip."""
        num_classes = self.label_count
        score_sum, num_pairs = 0.0, 0
        for pred, warped in self.warped_pairs(frames):
            score_sum += ssp_pair_score(pred, warped, num_classes,
                                        self.ignore_index)
            num_pairs += 1
        return dict(score_sum=score_sum, num_pairs=num_pairs)

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """``{'TC': mean over clips with pairs of score_sum / num_pairs}``
        as a fraction; NaN without any pair."""
        clip_scores = [
            r['score_sum'] / r['num_pairs'] for r in results
            if r['num_pairs'] > 0
        ]
        return dict(
            TC=float(np.mean(clip_scores)) if clip_scores else math.nan)
