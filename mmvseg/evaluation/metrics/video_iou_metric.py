# Copyright (c) mmvseg contributors. All rights reserved.
"""mIoU over the labelled frames of video clips."""
from typing import Any, Optional, Sequence

import torch
from mmseg.evaluation.metrics import IoUMetric

from mmvseg.registry import METRICS
from .clip_utils import clip_frames


@METRICS.register_module()
class VideoIoUMetric(IoUMetric):
    """mmseg :class:`IoUMetric` on the labelled frames of whole clips.

    ``process`` appends **one** entry per clip (mmengine's
    ``collect_results`` cuts the results to the number of dataset items,
    ``mmengine/dist/dist.py``): the four area vectors of
    :meth:`IoUMetric.intersect_and_union` (intersection, union, predicted and
    label areas, each (K,)) summed over the clip's frames that carry
    ``gt_sem_seg``; a clip without labelled frame adds zeros.
    ``compute_metrics`` is mmseg's (sums, :meth:`total_area_to_metrics`,
    per-class table), so the result equals :class:`IoUMetric` run frame by
    frame on the same frames. Areas are summed in float64 (exact counts;
    mmseg sums float32, which is inexact beyond 2**24 pixels per class).

    Args:
        ignore_index: label value left out. Defaults to 255.
        iou_metrics: any of ``'mIoU'``, ``'mDice'``, ``'mFscore'``.
        nan_to_num: replacement for NaN class scores; None keeps NaN.
        beta: weight of recall in the F-score.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix (none by default, as mmseg's ``IoUMetric``).
    """

    def __init__(self,
                 ignore_index: int = 255,
                 iou_metrics: Sequence[str] = ('mIoU', ),
                 nan_to_num: Optional[int] = None,
                 beta: int = 1,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            ignore_index=ignore_index,
            iou_metrics=list(iou_metrics),
            nan_to_num=nan_to_num,
            beta=beta,
            collect_device=collect_device,
            prefix=prefix)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append the summed area vectors of each clip.

        Args:
            data_batch: unused.
            data_samples: clips whose frames carry ``pred_sem_seg`` (1, H, W)
                and, when labelled, ``gt_sem_seg`` (1, H, W) of the same size.

        Raises:
            ValueError: a labelled frame whose prediction size differs from
                its label size.
        """
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            totals = [torch.zeros(num_classes, dtype=torch.float64)] * 4
            for frame in clip_frames(sample):
                if 'gt_sem_seg' not in frame:
                    continue
                pred = frame.pred_sem_seg.data[0]
                label = frame.gt_sem_seg.data[0].to(pred)
                if pred.shape != label.shape:
                    raise ValueError(
                        f'{frame.get("img_path")}: prediction size '
                        f'{tuple(pred.shape)} differs from its label size '
                        f'{tuple(label.shape)}')
                areas = self.intersect_and_union(pred, label, num_classes,
                                                 self.ignore_index)
                totals = [t + a.double() for t, a in zip(totals, areas)]
            self.results.append(tuple(totals))
