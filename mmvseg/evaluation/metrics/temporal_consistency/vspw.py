# Copyright (c) mmvseg contributors. All rights reserved.
"""The ``vspw`` temporal-consistency protocol (VSPW's video consistency)."""
import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmseg.structures import SegDataSample

from mmvseg.registry import METRICS
from ...functional import vspw_window_scores
from .base import (BaseTemporalConsistencyMetric, check_same_size,
                   frame_prediction)

SPARSE_GT_ACTIONS = ('error', 'skip')


def check_vc_n(vc_n: Sequence[int]) -> None:
    """Raise ``ValueError`` unless ``vc_n`` holds window lengths >= 2."""
    if any(n < 2 for n in vc_n) or not vc_n:
        raise ValueError(f'vc_n must hold window lengths >= 2, got {vc_n}')


def check_on_sparse_gt(on_sparse_gt: str) -> None:
    """Raise ``ValueError`` unless ``on_sparse_gt`` is ``'error'`` or
    ``'skip'``."""
    if on_sparse_gt not in SPARSE_GT_ACTIONS:
        raise ValueError(f'on_sparse_gt must be one of '
                         f'{SPARSE_GT_ACTIONS}, got {on_sparse_gt!r}')


@METRICS.register_module()
class VSPWTemporalConsistencyMetric(BaseTemporalConsistencyMetric):
    """Video consistency VC_n of the VSPW benchmark.

    Source: VSPW-dataset/VSPW_code ``VC_perclip.py`` ``get_common`` (the same
    function is ``video_consistency`` in FraunhoferIVI/SSP
    ``utils/metrics.py``). No optical flow; needs ground truth on **every**
    frame. For each window of n frames starting at frame i (windows never
    span two clips: a clip plays the role of VSPW's video), see
    :func:`~mmvseg.evaluation.functional.vspw_window_scores`::

        C_i = pixels whose ground truth equals that of frame i in frames
              i+1 … i+n-1;  Q_i = the same for the predictions
        acc_i = |C_i & Q_i| / |C_i|
        VC_n = nanmean of acc_i over all windows of all clips (pooled)

    The prediction need not be correct, only constant where the ground truth
    is. VSPW's script uses n = 16 (a companion script 8 and 16), the SSP
    repository n = 8.

    ``process`` appends per clip ``dict(acc_sum, num_windows)``, (V,) float64
    and (V,) int64 with one entry per ``vc_n`` (windows whose score is NaN are
    not counted, as ``np.nanmean``). ``compute_metrics`` returns, in this
    order: ``VC_<n>`` for each n of ``vc_n`` (float, %, two decimals), then
    ``TC_protocol`` (``'vspw'``), ``TC_warp_mode`` (``'none'``) and
    ``TC_flow`` (``'none'``); with the default prefix the keys become
    ``tc_vspw/VC_8``, ….

    Args:
        vc_n: window lengths n.
        on_sparse_gt: what to do with a clip that has an unlabelled frame:
            ``'error'`` raises, ``'skip'`` warns and scores nothing for the
            clip.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'tc_vspw'``.

    Raises:
        ValueError: ``vc_n`` empty or holding values below 2, unknown
            ``on_sparse_gt``.

    Example:
        >>> metric = VSPWTemporalConsistencyMetric(vc_n=(8, 16))
        >>> metric.prefix, metric.score_keys
        ('tc_vspw', ('VC_8', 'VC_16'))
    """

    protocol = 'vspw'

    def __init__(self,
                 vc_n: Sequence[int] = (8, 16),
                 on_sparse_gt: str = 'error',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_on_sparse_gt(on_sparse_gt)
        check_vc_n(vc_n)
        self.vc_n = tuple(int(n) for n in vc_n)
        self.on_sparse_gt = on_sparse_gt

    @property
    def score_keys(self) -> Tuple[str, ...]:
        """``('VC_8', 'VC_16', ...)``, one key per ``vc_n``."""
        return tuple(f'VC_{n}' for n in self.vc_n)

    def clip_summary(self, frames: List[SegDataSample]) -> dict:
        """``dict(acc_sum, num_windows)`` of one clip.

        Args:
            frames: frames with ``pred_sem_seg`` and ``gt_sem_seg``
                (1, H, W) of one size, in temporal order.

        Raises:
            ValueError: a frame without prediction, a prediction whose size
                differs from its label or from the clip's first prediction,
                or (``on_sparse_gt='error'``) a frame without
                ``gt_sem_seg``.
        """
        acc_sum = np.zeros(len(self.vc_n), np.float64)
        num_windows = np.zeros(len(self.vc_n), np.int64)
        unlabelled = [
            f.get('img_path') for f in frames if 'gt_sem_seg' not in f
        ]
        if unlabelled:
            message = (f'{unlabelled[0]}: no ground truth; the vspw protocol '
                       'needs ground truth on every frame of a clip')
            if self.on_sparse_gt == 'error':
                raise ValueError(message + " (on_sparse_gt='skip' skips such "
                                 'clips)')
            warnings.warn(message + ': clip skipped')
            return dict(acc_sum=acc_sum, num_windows=num_windows)
        preds = [frame_prediction(frame) for frame in frames]
        gts = [frame.gt_sem_seg.data[0].cpu() for frame in frames]
        for frame, pred, gt in zip(frames, preds, gts):
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{frame.get("img_path")}: prediction size '
                    f'{tuple(pred.shape)} differs from its label size '
                    f'{tuple(gt.shape)}')
        check_same_size(frames, preds)
        preds, gts = torch.stack(preds), torch.stack(gts)
        for i, n in enumerate(self.vc_n):
            scores = np.asarray(vspw_window_scores(gts, preds, n), np.float64)
            valid = ~np.isnan(scores)
            acc_sum[i] = scores[valid].sum()
            num_windows[i] = valid.sum()
        return dict(acc_sum=acc_sum, num_windows=num_windows)

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """``{'VC_<n>': pooled acc_sum / num_windows}`` as fractions; NaN for
        an n without any window."""
        acc_sum = sum((r['acc_sum'] for r in results),
                      np.zeros(len(self.vc_n)))
        counts = sum((r['num_windows'] for r in results),
                     np.zeros(len(self.vc_n), np.int64))
        return {
            key: float(total / count) if count else math.nan
            for key, total, count in zip(self.score_keys, acc_sum, counts)
        }
