# Copyright (c) mmvseg contributors. All rights reserved.
"""What the temporal-consistency metrics share: one summary per clip,
scores in %, the description of how they were made."""
import math
import warnings
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.structures import SegDataSample
from torch import Tensor

from ..clip_utils import clip_frames


def frame_prediction(frame: SegDataSample) -> Tensor:
    """The prediction of one frame.

    Args:
        frame: a frame carrying ``pred_sem_seg`` (1, H, W).

    Returns:
        Tensor: (H, W) int64 class ids on the CPU.

    Raises:
        ValueError: the frame has no ``pred_sem_seg``.
    """
    if 'pred_sem_seg' not in frame:
        raise ValueError(f'{frame.get("img_path")}: frame has no '
                         'pred_sem_seg')
    return frame.pred_sem_seg.data[0].long().cpu()


def check_same_size(frames: List[SegDataSample], preds: List[Tensor]) -> None:
    """Check that all predictions of a clip have the size of the first.

    Raises:
        ValueError: names the first frame whose prediction size differs.
    """
    for frame, pred in zip(frames, preds):
        if pred.shape != preds[0].shape:
            raise ValueError(
                f'{frame.get("img_path")}: prediction size '
                f'{tuple(pred.shape)} differs from that of the clip\'s first '
                f'frame {tuple(preds[0].shape)}')


class BaseTemporalConsistencyMetric(BaseMetric):
    """Temporal consistency of the predictions of whole clips.

    One subclass per protocol sets :attr:`protocol` and implements
    :meth:`clip_summary` (one clip -> a fixed-size summary),
    :meth:`summarize` (summaries -> fractions) and :attr:`score_keys`.

    ``process`` appends exactly **one** summary per clip: mmengine's
    ``BaseMetric.evaluate`` collects results with ``collect_results(results,
    size)`` (``mmengine/dist/dist.py``), which cuts them to ``size`` = the
    number of dataset items, i.e. of clips.

    ``compute_metrics`` returns the scores in % rounded to two decimals,
    followed by the strings ``TC_protocol``, ``TC_warp_mode`` and ``TC_flow``
    (:attr:`info`) that say how the numbers were made; mmengine logs them as
    non-scalar runtime info, never as scalars.

    Args:
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'tc_<protocol>'`` so that several
            protocols can share an evaluator.
    """

    default_prefix = 'tc'
    #: protocol name, reported as ``TC_protocol``.
    protocol: str

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or f'{self.default_prefix}_{self.protocol}')

    @property
    def info(self) -> Dict[str, str]:
        """How the numbers are made: ``TC_protocol``, ``TC_warp_mode`` and
        ``TC_flow`` (``'none'`` for a protocol without flow)."""
        return dict(
            TC_protocol=self.protocol, TC_warp_mode='none', TC_flow='none')

    @property
    @abstractmethod
    def score_keys(self) -> Tuple[str, ...]:
        """Keys of the scores, in the order of :meth:`summarize`."""

    @abstractmethod
    def clip_summary(self, frames: List[SegDataSample]) -> dict:
        """The fixed-size summary of one clip that :meth:`process` appends.

        Args:
            frames: the frames of the clip, in temporal order.
        """

    @abstractmethod
    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """Scores as fractions in [0, 1] (NaN when nothing was scored).

        Applied to one clip's summary it gives that clip's value (the
        protocol applied to that clip alone).

        Args:
            results: summaries appended by :meth:`process`.

        Returns:
            dict: one float per key of :attr:`score_keys`.
        """

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append one summary per clip (:meth:`clip_summary`).

        Args:
            data_batch: unused.
            data_samples: clips (dicts from the Evaluator or
                :class:`~mmvseg.structures.VideoSegDataSample`) whose frames
                carry ``pred_sem_seg`` (1, H, W) at original size and
                ``img_path``.

        Raises:
            TypeError: a sample is not a clip.
            ValueError: see the subclass.
        """
        for sample in data_samples:
            self.results.append(self.clip_summary(clip_frames(sample)))

    def log_details(self, results: List[dict], logger: MMLogger) -> None:
        """Log protocol-specific details in :meth:`compute_metrics`; nothing
        by default."""

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Scores in % (two decimals) followed by the :attr:`info` strings.

        Warns when a score is NaN (no pair or window could be scored).

        Args:
            results: summaries appended by :meth:`process`.

        Returns:
            dict: ``{key: float}`` for :attr:`score_keys`, then
            ``TC_protocol``, ``TC_warp_mode``, ``TC_flow`` (str).
        """
        logger: MMLogger = MMLogger.get_current_instance()
        scores = self.summarize(results)
        for key, value in scores.items():
            if math.isnan(value):
                warnings.warn(f'{key} ({self.protocol}) is undefined: no '
                              f'frame pair or window of the {len(results)} '
                              'clips could be scored')
        self.log_details(results, logger)
        print_log(
            f'temporal consistency over {len(results)} clips: ' +
            ', '.join(f'{k}={v}' for k, v in self.info.items()), logger)
        metrics: Dict[str, Any] = {
            key: float(np.round(value * 100, 2))
            for key, value in scores.items()
        }
        metrics.update(self.info)
        return metrics
