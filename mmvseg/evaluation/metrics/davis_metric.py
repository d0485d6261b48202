# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVIS J&F (semi-supervised VOS) over whole videos."""
import os
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.structures import SegDataSample
from PIL import Image

from mmvseg.datasets.davis import davis_palette
from mmvseg.registry import METRICS
from ..functional.davis import (GLOBAL_KEYS, format_davis_tables,
                                frame_statistics, score_video)
from .clip_utils import clip_frames


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """DAVIS J&F (semi-supervised) over whole videos.

    Gives the numbers of the official evaluator
    (davisvideochallenge/davis2017-evaluation ``evaluation_method.py
    --task semi-supervised``), computed by the functions of
    :mod:`mmvseg.evaluation.functional.davis`
    (:func:`~mmvseg.evaluation.functional.score_video`,
    :func:`~mmvseg.evaluation.functional.region_similarity`,
    :func:`~mmvseg.evaluation.functional.contour_accuracy`,
    :func:`~mmvseg.evaluation.functional.frame_statistics`).

    ``process`` takes clips that are each a **whole video** in temporal order
    (``DefaultSampler``/dataset with ``clip_len=None``): every frame carries
    ``gt_sem_seg`` (1, H, W) object ids (0 background, 255 void) and, except
    possibly the first and the last frame, ``pred_sem_seg`` (1, H, W) object
    ids, plus the metainfo ``video_id`` (or the clip does) and optionally
    ``frame_id``, ``img_path``, ``frame_index``, ``video_length``. It appends
    **one** entry per video (mmengine's ``collect_results`` cuts the
    results to the number of dataset items, ``mmengine/dist/dist.py``)::

        dict(video_id=str, object_ids=(N,) int64, frame_ids=[T - 2 '%05d'],
             J=(N, T - 2) float64, F=(N, T - 2) float64)

    ``compute_metrics`` returns ``J&F-Mean``, ``J-Mean``, ``J-Recall``,
    ``J-Decay``, ``F-Mean``, ``F-Recall``, ``F-Decay`` in % (two decimals),
    means over all objects of all videos, and logs the official tables;
    :meth:`summarize` gives the exact fractions and per-object values.

    Args:
        bound_th: F tolerance, fraction of the image diagonal (pixels when
            >= 1). Defaults to 0.008 (8 px at 854x480).
        binary_gt: ground truth is binary DAVIS-2016 (0/255): every non-zero
            value is object 1 instead of 255 being void.
        max_objects: error when a video has more objects; None: no limit.
        output_dir: when set, every prediction is also written as an indexed
            PNG with the DAVIS palette to ``<output_dir>/<video_id>/%05d.png``
            (``frame_id``, or the position in the video), the layout the
            official evaluator reads.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'davis'``.
        collect_dir: folder for collecting results across ranks.

    Raises:
        ValueError: ``bound_th`` < 0 or ``max_objects`` < 0.
    """

    default_prefix = 'davis'

    def __init__(self,
                 bound_th: float = 0.008,
                 binary_gt: bool = False,
                 max_objects: Optional[int] = None,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if bound_th < 0:
            raise ValueError(f'bound_th must be >= 0, got {bound_th}')
        if max_objects is not None and max_objects < 0:
            raise ValueError(f'max_objects must be >= 0, got {max_objects}')
        self.bound_th = bound_th
        self.binary_gt = binary_gt
        self.max_objects = max_objects
        self.output_dir = output_dir

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Score each video and append its entry.

        Args:
            data_batch: unused.
            data_samples: whole videos (dicts from the Evaluator or
                :class:`VideoSegDataSample`).

        Raises:
            ValueError: no video id, frames of several videos, a clip that is
                not the whole video (``video_length``/``frame_index``), a frame
                without ground truth, and the errors of
                :func:`~mmvseg.evaluation.functional.score_video`;
                a prediction outside 0..255 with ``output_dir``.
        """
        for sample in data_samples:
            frames = clip_frames(sample)
            video_id = self._video_id(sample, frames)
            names = [
                f'{video_id} frame {self._frame_name(frame, t)} '
                f'({frame.get("img_path")})' for t, frame in enumerate(frames)
            ]
            gts = [self._frame_map(frame, 'gt_sem_seg') for frame in frames]
            missing = [name for name, gt in zip(names, gts) if gt is None]
            if missing:
                raise ValueError(f'{missing[0]}: no gt_sem_seg (DAVIS scores '
                                 'videos annotated on every frame)')
            preds = [
                self._frame_map(frame, 'pred_sem_seg') for frame in frames
            ]
            scores = score_video(gts, preds, self.bound_th, self.binary_gt,
                                 self.max_objects, names)
            if self.output_dir:
                self._write_pngs(video_id, frames, preds)
            self.results.append(
                dict(
                    video_id=video_id,
                    frame_ids=[
                        self._frame_name(frame, t)
                        for t, frame in enumerate(frames)
                    ][1:-1],
                    **scores))

    @staticmethod
    def _frame_map(frame: SegDataSample, field: str) -> Optional[np.ndarray]:
        """(H, W) array of ``frame.<field>.data`` (1, H, W); None when the
        frame has no ``<field>``."""
        if field not in frame:
            return None
        data = frame.get(field).data
        data = data.detach().cpu().numpy() if torch.is_tensor(data) else \
            np.asarray(data)
        if data.ndim != 3 or data.shape[0] != 1:
            raise ValueError(f'{frame.get("img_path")}: {field} must be '
                             f'(1, H, W), got shape {data.shape}')
        return data[0]

    @staticmethod
    def _frame_name(frame: SegDataSample, position: int) -> str:
        """``%05d`` of the frame's ``frame_id`` (or its position)."""
        return f'{int(frame.get("frame_id", position)):05d}'

    @staticmethod
    def _video_id(sample: Any, frames: List[SegDataSample]) -> str:
        """The video id of a clip, checked to be whole and of one video."""
        ids = {frame.get('video_id') for frame in frames} - {None}
        if not ids:
            clip_id = (
                sample.get('video_id') if isinstance(sample, dict) else
                getattr(sample, 'video_id', None))
            ids = {clip_id} - {None}
        if len(ids) != 1:
            raise ValueError('DAVISMetric needs the video_id of each clip in '
                             f'its metainfo, got {sorted(map(str, ids))}')
        video_id = str(ids.pop())
        lengths = {frame.get('video_length', len(frames)) for frame in frames}
        positions = [frame.get('frame_index') for frame in frames]
        if lengths != {len(frames)} or (None not in positions and
                                        positions != list(range(len(frames)))):
            raise ValueError(
                f'video {video_id}: DAVISMetric needs each clip to be the '
                f'whole video in order, got {len(frames)} frames of a video '
                f'of length {sorted(lengths)} at positions {positions} '
                '(use whole-video test items, e.g. clip_len=None)')
        return video_id

    def _write_pngs(self, video_id: str, frames: List[SegDataSample],
                    preds: List[Optional[np.ndarray]]) -> None:
        """Indexed PNGs with the DAVIS palette of the frames' predictions."""
        folder = osp.join(self.output_dir, video_id)
        os.makedirs(folder, exist_ok=True)
        palette = davis_palette().ravel().tolist()
        for t, (frame, pred) in enumerate(zip(frames, preds)):
            if pred is None:
                continue
            path = osp.join(folder, f'{self._frame_name(frame, t)}.png')
            if pred.size and (pred.min() < 0 or pred.max() > 255):
                raise ValueError(f'{path}: prediction ids outside 0..255 '
                                 'cannot be written as an indexed PNG')
            img = Image.fromarray(pred.astype(np.uint8))
            img.putpalette(palette)
            img.save(path)

    def summarize(self, results: List[dict]) -> Dict[str, Any]:
        """Exact fractions, as ``evaluation_method.py``.

        Args:
            results: entries appended by :meth:`process`.

        Returns:
            dict: the seven ``GLOBAL_KEYS`` as floats in [0, 1] (decays may
            be negative; NaN without any object) and ``per_object``:
            ``{'<video>_<k>': dict(J=mean, F=mean, J-Recall, J-Decay,
            F-Recall, F-Decay)}`` in the order of the results.

        Raises:
            ValueError: a video appears twice.
        """
        per_object: Dict[str, Dict[str, float]] = {}
        seen = set()
        for entry in results:
            if entry['video_id'] in seen:
                raise ValueError(f'video {entry["video_id"]} was scored twice')
            seen.add(entry['video_id'])
            for k, j_values, f_values in zip(entry['object_ids'], entry['J'],
                                             entry['F']):
                j_mean, j_recall, j_decay = frame_statistics(j_values)
                f_mean, f_recall, f_decay = frame_statistics(f_values)
                per_object[f'{entry["video_id"]}_{k}'] = {
                    'J': j_mean,
                    'F': f_mean,
                    'J-Recall': j_recall,
                    'J-Decay': j_decay,
                    'F-Recall': f_recall,
                    'F-Decay': f_decay
                }
        columns = {
            key: [obj[key] for obj in per_object.values()]
            for key in ('J', 'F', 'J-Recall', 'J-Decay', 'F-Recall',
                        'F-Decay')
        }
        means = {
            key: float(np.mean(values)) if values else float('nan')
            for key, values in columns.items()
        }
        summary: Dict[str, Any] = {
            'J&F-Mean': (means['J'] + means['F']) / 2,
            'J-Mean': means['J'],
            'J-Recall': means['J-Recall'],
            'J-Decay': means['J-Decay'],
            'F-Mean': means['F'],
            'F-Recall': means['F-Recall'],
            'F-Decay': means['F-Decay'],
        }
        summary['per_object'] = per_object
        return summary

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The seven numbers in % (two decimals); logs the official tables.

        Warns when no object was scored (all values NaN).
        """
        summary = self.summarize(results)
        if not summary['per_object']:
            warnings.warn(f'DAVIS J&F is undefined: the {len(results)} '
                          'videos hold no object in their first frame')
        print_log(
            f'DAVIS J&F over {len(summary["per_object"])} objects of '
            f'{len(results)} videos:\n' + format_davis_tables(summary),
            logger='current')
        return {
            key: float(np.round(summary[key] * 100, 2))
            for key in GLOBAL_KEYS
        }
