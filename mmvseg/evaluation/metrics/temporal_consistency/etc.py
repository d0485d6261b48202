# Copyright (c) mmvseg contributors. All rights reserved.
"""The ``etc`` temporal-consistency protocol."""
import math
from typing import Dict, List

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.structures import SegDataSample
from prettytable import PrettyTable

from mmvseg.registry import METRICS
from ...functional import etc_pair_areas, etc_score
from .flow_pairs import FlowPairTemporalConsistencyMetric


@METRICS.register_module()
class ETCTemporalConsistencyMetric(FlowPairTemporalConsistencyMetric):
    """Temporal consistency as ETC computes it.

    Source: irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
    ``tool/eval_tc.py`` with ``util/util.py`` ``intersectionAndUnion``. For
    every consecutive pair (t, t+1) of a clip, the prediction of t+1 is
    warped onto t with ``f_{t->t+1}`` (default
    ``warp_mode='repo_bilinear_trunc'``: FlowNet2 ``Resample2d`` and ETC's
    uint8 truncation), and the class-wise areas of
    :func:`~mmvseg.evaluation.functional.etc_pair_areas` are **summed over
    all pairs of all clips** before dividing::

        I_c = sum over pairs #{P_t = W_t = c}
        U_c = sum over pairs #{P_t = c} + #{W_t = c} - #{P_t = W_t = c}
        TC = (1 / K) sum_{c < K} I_c / (U_c + 1e-10)

    Every class counts, also one never predicted (IoU 0), so TC depends on
    K. ETC pairs frames k, k+1 (k = 0 … 28) of 30-frame Cityscapes snippets
    and uses FlowNet2 flow; here every consecutive pair of every clip is
    used and the flow is configurable (default OpenCV DIS).

    ``process`` appends per clip ``dict(area_intersect, area_union,
    num_pairs)``: (K,) int64 pixel counts and an int. ``compute_metrics``
    returns, in this order: ``TC`` (float, %, two decimals), ``TC_protocol``
    (``'etc'``), ``TC_warp_mode`` and ``TC_flow`` (str), and logs the
    per-class IoU table; with the default prefix the keys become
    ``tc_etc/TC``, ….

    Args: see :class:`FlowPairTemporalConsistencyMetric`.

    Raises:
        ValueError: see :class:`FlowPairTemporalConsistencyMetric`; in
            ``process`` see :meth:`warped_pairs`.
    """

    protocol = 'etc'

    def clip_summary(self, frames: List[SegDataSample]) -> dict:
        """``dict(area_intersect, area_union, num_pairs)`` of one clip."""
        num_classes = self.label_count
        area_intersect = np.zeros(num_classes, np.int64)
        area_union = np.zeros(num_classes, np.int64)
        num_pairs = 0
        for pred, warped in self.warped_pairs(frames):
            inter, union = etc_pair_areas(pred, warped, num_classes,
                                          self.ignore_index)
            area_intersect += inter.numpy()
            area_union += union.numpy()
            num_pairs += 1
        return dict(
            area_intersect=area_intersect,
            area_union=area_union,
            num_pairs=num_pairs)

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """``{'TC': etc_score(pooled areas)}`` as a fraction; NaN without any
        pair."""
        if sum(r['num_pairs'] for r in results) == 0:
            return dict(TC=math.nan)
        return dict(
            TC=etc_score(
                sum(r['area_intersect'] for r in results),
                sum(r['area_union'] for r in results)))

    def log_details(self, results: List[dict], logger: MMLogger) -> None:
        """Log the per-class IoU of the pooled areas (in %)."""
        if not results:
            return
        inter = sum(r['area_intersect'] for r in results)
        union = sum(r['area_union'] for r in results)
        table = PrettyTable()
        table.add_column('Class', list(self.dataset_meta['classes']))
        table.add_column('TC IoU', np.round(inter / (union + 1e-10) * 100, 2))
        print_log('per class temporal consistency (etc):', logger)
        print_log('\n' + table.get_string(), logger=logger)
