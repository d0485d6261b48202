# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVIS J&F of semi-supervised video object segmentation.

Re-implements the arithmetic of the official DAVIS evaluator,
``davisvideochallenge/davis2017-evaluation`` at commit ``ac7c43f``
(``davis2017/metrics.py``, ``davis2017/utils.py``, ``davis2017/davis.py``,
``davis2017/evaluation.py``, ``evaluation_method.py``), so that the numbers
are identical (``../shared/specs/davis_eval_notes.md``):

* objects of a video are the ids ``1..N``, ``N`` = largest id of the **first**
  ground-truth frame after void (255) was set to background;
* the first and the last frame are not scored;
* J = IoU per frame and object (1 when the union is empty), F = boundary
  F-measure with a tolerance of ``ceil(0.008 * diagonal)`` pixels;
* per object: mean, recall (share of frames > 0.5) and decay (first minus last
  quarter); global numbers are means over all objects of all videos.
"""
import os
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.structures import SegDataSample
from PIL import Image
from skimage.morphology import disk

from mmvseg.registry import METRICS
from .temporal_consistency_metric import clip_frames

VOID_ID = 255
GLOBAL_KEYS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean',
               'F-Recall', 'F-Decay')


def davis_palette() -> np.ndarray:
    """The DAVIS / PASCAL VOC colour map of the result PNGs.

    Bit ``3 * j + c`` of an index becomes bit ``7 - j`` of colour channel ``c``
    (R, G, B), as ``color_map`` in ``davis2017/utils.py``.

    Returns:
        np.ndarray: (256, 3) uint8 RGB colours, row i = index i.
    """
    ids = np.arange(256)
    palette = np.zeros((256, 3), np.int64)
    for bit in range(8):
        for channel in range(3):
            shift = 3 * bit + channel
            palette[:, channel] |= ((ids >> shift) & 1) << (7 - bit)
    return palette.astype(np.uint8)


def _binary_pair(gt: np.ndarray,
                 pred: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Both masks as bool arrays of one shape (..., H, W)."""
    gt = np.asarray(gt).astype(bool, copy=False)
    pred = np.asarray(pred).astype(bool, copy=False)
    if gt.shape != pred.shape:
        raise ValueError(f'ground truth shape {gt.shape} differs from the '
                         f'prediction shape {pred.shape}')
    if gt.ndim < 2:
        raise ValueError(f'masks must be (..., H, W), got shape {gt.shape}')
    return gt, pred


def region_similarity(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Region similarity J (IoU) of binary masks, frame by frame.

    Equivalent of ``db_eval_iou`` without void pixels
    (``davis2017/metrics.py``): J = |P ∧ G| / |P ∨ G|, and 1 where the union
    is empty.

    Args:
        gt: (..., H, W) ground-truth masks, e.g. (T, H, W); any dtype, non-zero
            = object.
        pred: predicted masks of the same shape.

    Returns:
        np.ndarray: float64 of shape ``gt.shape[:-2]``, values in [0, 1].

    Raises:
        ValueError: the shapes differ or have fewer than two dimensions.
    """
    gt, pred = _binary_pair(gt, pred)
    inter = np.count_nonzero(gt & pred, axis=(-2, -1))
    union = np.count_nonzero(gt | pred, axis=(-2, -1))
    return np.divide(
        inter,
        union,
        out=np.ones(np.shape(union), np.float64),
        where=union > 0)


def boundary_map(masks: np.ndarray) -> np.ndarray:
    """One-pixel boundaries of binary masks, as ``_seg2bmap``
    (``davis2017/metrics.py``).

    A pixel is on the boundary when it differs from its right, lower or
    lower-right neighbour; on the last row only the right neighbour counts, on
    the last column only the lower one, and the bottom-right pixel is never a
    boundary (so a mask touching the image edge has no boundary along it).

    Args:
        masks: (..., H, W) masks, non-zero = object.

    Returns:
        np.ndarray: bool, same shape.
    """
    seg = np.asarray(masks).astype(bool, copy=False)
    right = np.zeros_like(seg)
    right[..., :, :-1] = seg[..., :, 1:]
    below = np.zeros_like(seg)
    below[..., :-1, :] = seg[..., 1:, :]
    diagonal = np.zeros_like(seg)
    diagonal[..., :-1, :-1] = seg[..., 1:, 1:]
    bmap = (seg ^ right) | (seg ^ below) | (seg ^ diagonal)
    bmap[..., -1, :] = seg[..., -1, :] ^ right[..., -1, :]
    bmap[..., :, -1] = seg[..., :, -1] ^ below[..., :, -1]
    bmap[..., -1, -1] = False
    return bmap


def boundary_tolerance(hw: Sequence[int], bound_th: float = 0.008) -> float:
    """Radius in pixels of the disk a boundary is dilated with.

    ``bound_th`` >= 1 is a radius in pixels; below 1 it is a fraction of the
    image diagonal, rounded up: ``ceil(bound_th * sqrt(H^2 + W^2))``
    (``f_measure`` in ``davis2017/metrics.py``), e.g. 8 at 854x480.

    Args:
        hw: (H, W) of the masks.
        bound_th: fraction of the diagonal, or pixels when >= 1.

    Returns:
        float: the radius.

    Raises:
        ValueError: ``bound_th`` is negative.
    """
    if bound_th < 0:
        raise ValueError(f'bound_th must be >= 0, got {bound_th}')
    if bound_th >= 1:
        return float(bound_th)
    return float(np.ceil(bound_th * np.linalg.norm(np.asarray(hw[-2:]))))


def _matched(boundary: np.ndarray, other_dilated: np.ndarray) -> int:
    return int(np.count_nonzero(boundary & (other_dilated > 0)))


def contour_accuracy(gt: np.ndarray,
                     pred: np.ndarray,
                     bound_th: float = 0.008) -> np.ndarray:
    """Contour accuracy F of binary masks, frame by frame.

    Equivalent of ``db_eval_boundary`` / ``f_measure`` without void pixels
    (``davis2017/metrics.py``): boundaries by :func:`boundary_map`, each
    dilated once with ``skimage.morphology.disk(r)`` (``cv2.dilate``),
    r = :func:`boundary_tolerance`. Precision = share of predicted boundary
    pixels within the dilated ground-truth boundary, recall = share of
    ground-truth boundary pixels within the dilated predicted boundary;
    an empty predicted boundary has precision 1, an empty ground-truth
    boundary recall 1 (the other term is 0 unless both are empty).
    F = 2PR / (P + R), 0 when P + R = 0.

    Args:
        gt: (..., H, W) ground-truth masks, e.g. (T, H, W); non-zero = object.
        pred: predicted masks of the same shape.
        bound_th: tolerance as a fraction of the diagonal (pixels when >= 1).

    Returns:
        np.ndarray: float64 of shape ``gt.shape[:-2]``, values in [0, 1].

    Raises:
        ValueError: the shapes differ or have fewer than two dimensions, or
            ``bound_th`` is negative.
    """
    gt, pred = _binary_pair(gt, pred)
    leading, hw = gt.shape[:-2], gt.shape[-2:]
    footprint = disk(boundary_tolerance(hw, bound_th)).astype(np.uint8)
    gt, pred = gt.reshape(-1, *hw), pred.reshape(-1, *hw)
    precision = np.empty(len(gt))
    recall = np.empty(len(gt))
    for t, (gt_t, pred_t) in enumerate(zip(gt, pred)):
        gt_bound, pred_bound = boundary_map(gt_t), boundary_map(pred_t)
        n_gt = np.count_nonzero(gt_bound)
        n_pred = np.count_nonzero(pred_bound)
        if n_gt == 0 or n_pred == 0:
            precision[t] = float(n_pred == 0)
            recall[t] = float(n_gt == 0)
            continue
        gt_dilated = cv2.dilate(gt_bound.view(np.uint8), footprint)
        pred_dilated = cv2.dilate(pred_bound.view(np.uint8), footprint)
        precision[t] = _matched(pred_bound, gt_dilated) / float(n_pred)
        recall[t] = _matched(gt_bound, pred_dilated) / float(n_gt)
    total = precision + recall
    f = np.divide(
        2 * precision * recall,
        total,
        out=np.zeros_like(total),
        where=total != 0)
    return f.reshape(leading)


def frame_statistics(values: np.ndarray) -> Tuple[float, float, float]:
    """Mean, recall and decay of one object's per-frame J or F.

    As ``db_statistics`` (``davis2017/utils.py``) on the n scored frames:

    * mean = ``nanmean(values)``;
    * recall = share of frames with a value strictly above 0.5 (NaN counts as
      a miss);
    * decay = nanmean of the first minus nanmean of the last of four bins.
      Bin edges ``e = round(linspace(1, n, 5) + 1e-10) - 1`` (halves round
      up); bin i = ``values[e[i]:e[i + 1] + 1]``, both edges included, so
      neighbouring bins share a frame. E.g. n = 38: frames 0..9 and 28..37.
      The official code casts the edges to uint8, which wraps for n > 256;
      here they are not wrapped (DAVIS videos have fewer frames).

    Args:
        values: (n,) per-frame scores, n >= 1.

    Returns:
        tuple[float, float, float]: mean, recall, decay (fractions).

    Raises:
        ValueError: ``values`` is not 1-D or is empty.
    """
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError('per-frame values must be a non-empty 1-D array, '
                         f'got shape {values.shape}')
    edges = (np.round(np.linspace(1, values.size, 5) + 1e-10) -
             1).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        mean = np.nanmean(values)
        first = np.nanmean(values[edges[0]:edges[1] + 1])
        last = np.nanmean(values[edges[3]:edges[4] + 1])
    return float(mean), float(np.mean(values > 0.5)), float(first - last)


def _gt_ids(gt: np.ndarray, binary_gt: bool) -> np.ndarray:
    """Object ids of a ground-truth frame: void (255) becomes background,
    or, for binary DAVIS-2016 masks, every non-zero value becomes object 1."""
    if binary_gt:
        return (gt > 0).astype(np.uint8)
    return np.where(gt == VOID_ID, 0, gt)


def score_video(gt: Sequence[np.ndarray],
                pred: Sequence[Optional[np.ndarray]],
                bound_th: float = 0.008,
                binary_gt: bool = False,
                max_objects: Optional[int] = None,
                names: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Per-frame J and F of every object of one whole video.

    The semi-supervised rules of ``davis2017/davis.py`` (``get_all_masks``),
    ``davis2017/results.py`` and ``davis2017/evaluation.py``
    (``evaluate``, ``_evaluate_semisupervised``):

    * ground-truth value 255 (void) is background (with ``binary_gt``, every
      non-zero value is object 1 instead: DAVIS-2016 0/255 masks);
    * N = largest id of the first ground-truth frame; object k is
      ``gt == k`` for k = 1..N (other ids in later frames are ignored);
    * frames 1..T-2 are scored; their prediction must not hold an id above N
      (the official evaluator aborts); ids 1..N the prediction never uses are
      empty masks.

    Args:
        gt: T ground-truth (H, W) integer maps, T >= 3.
        pred: T predicted (H, W) maps of object ids; the first and the last
            are not scored and may be None.
        bound_th: F tolerance, see :func:`boundary_tolerance`.
        binary_gt: ground truth is binary (non-zero = object 1).
        max_objects: error when N exceeds it; None for no limit.
        names: T frame names for the error messages.

    Returns:
        dict: ``object_ids`` (N,) int64 = 1..N, ``J`` and ``F`` (N, T - 2)
        float64 per-frame scores.

    Raises:
        ValueError: fewer than 3 frames, a scored frame without prediction,
            maps of different sizes, negative values, a predicted id above N,
            or N above ``max_objects``.
    """
    num_frames = len(gt)
    names = list(names) if names is not None else [
        f'frame {t}' for t in range(num_frames)
    ]
    if num_frames < 3 or len(pred) != num_frames:
        raise ValueError(
            f'{names[0] if names else "video"}: a video needs at least 3 '
            'frames (the first and the last are not scored) and one '
            f'prediction slot per frame, got {num_frames} ground-truth and '
            f'{len(pred)} prediction frames')
    hw = np.shape(gt[0])
    gt_ids = []
    for t, frame in enumerate(gt):
        frame = np.asarray(frame)
        if frame.shape != hw:
            raise ValueError(f'{names[t]}: ground-truth size {frame.shape} '
                             f'differs from the first frame {hw}')
        if frame.size and frame.min() < 0:
            raise ValueError(f'{names[t]}: negative ground-truth value')
        gt_ids.append(_gt_ids(frame, binary_gt))
    num_objects = int(gt_ids[0].max()) if gt_ids[0].size else 0
    if max_objects is not None and num_objects > max_objects:
        raise ValueError(
            f'{names[0]}: the first ground-truth frame holds {num_objects} '
            f'objects, more than max_objects={max_objects}')
    scored = range(1, num_frames - 1)
    for t in scored:
        _check_prediction(pred[t], hw, num_objects, names[t], binary_gt)
    object_ids = np.arange(1, num_objects + 1)
    j_scores = np.zeros((num_objects, len(scored)))
    f_scores = np.zeros((num_objects, len(scored)))
    for i, k in enumerate(object_ids):
        gt_k = np.stack([gt_ids[t] == k for t in scored])
        pred_k = np.stack([np.asarray(pred[t]) == k for t in scored])
        j_scores[i] = region_similarity(gt_k, pred_k)
        f_scores[i] = contour_accuracy(gt_k, pred_k, bound_th)
    return dict(object_ids=object_ids, J=j_scores, F=f_scores)


def _check_prediction(pred: Optional[np.ndarray], hw: Tuple[int, ...],
                      num_objects: int, name: str, binary_gt: bool) -> None:
    """Raise ValueError for a missing, mis-sized or out-of-range prediction
    of a scored frame."""
    if pred is None:
        raise ValueError(f'{name}: no prediction (every frame but the first '
                         'and the last is scored)')
    pred = np.asarray(pred)
    if pred.shape != hw:
        raise ValueError(f'{name}: prediction size {pred.shape} differs from '
                         f'the ground-truth size {hw}')
    if pred.size == 0:
        return
    if pred.min() < 0:
        raise ValueError(f'{name}: negative prediction value')
    top = int(pred.max())
    if top > num_objects:
        hint = (' (binary 0/255 predictions must hold ids 0/1)'
                if top == VOID_ID else '')
        hint += ('' if num_objects or binary_gt else
                 ' (0/255 DAVIS-2016 ground truth needs binary_gt=True)')
        raise ValueError(
            f'{name}: prediction holds object id {top}, but the first '
            f'ground-truth frame has {num_objects} objects (ids 1..'
            f'{num_objects}); the official evaluator aborts on this{hint}')


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns, one space apart (pandas ``to_string`` style)."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows)
    ]
    return '\n'.join(' '.join(
        str(cell).rjust(width) for cell, width in zip(line, widths))
                     for line in [header, *rows])


def format_davis_tables(summary: Dict[str, Any],
                        subset: Optional[str] = None) -> str:
    """The two tables ``evaluation_method.py`` prints, values as fractions.

    Args:
        summary: output of :meth:`DAVISMetric.summarize`.
        subset: set name for the titles (e.g. ``'val'``).

    Returns:
        str: global results (the seven numbers) and per-object J and F means.
    """
    suffix = f' for {subset}' if subset else ''
    rows = [[name, f'{obj["J"]:.6f}', f'{obj["F"]:.6f}']
            for name, obj in summary['per_object'].items()]
    return '\n'.join([
        f'{"-" * 27} Global results{suffix} {"-" * 27}',
        _text_table(GLOBAL_KEYS, [[f'{summary[k]:.6f}'
                                   for k in GLOBAL_KEYS]]), '',
        f'{"-" * 10} Per sequence results{suffix} {"-" * 10}',
        _text_table(('Sequence', 'J-Mean', 'F-Mean'), rows)
    ])


def _frame_map(frame: SegDataSample, field: str) -> Optional[np.ndarray]:
    """(H, W) array of ``frame.<field>.data`` (1, H, W), None when absent."""
    if field not in frame:
        return None
    data = frame.get(field).data
    data = data.detach().cpu().numpy() if torch.is_tensor(data) else \
        np.asarray(data)
    if data.ndim != 3 or data.shape[0] != 1:
        raise ValueError(f'{frame.get("img_path")}: {field} must be '
                         f'(1, H, W), got shape {data.shape}')
    return data[0]


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """DAVIS J&F (semi-supervised) over whole videos.

    Gives the numbers of the official evaluator
    (``davisvideochallenge/davis2017-evaluation``, see :func:`score_video`,
    :func:`region_similarity`, :func:`contour_accuracy`,
    :func:`frame_statistics`).

    ``process`` takes clips that are each a **whole video** in temporal order
    (``DefaultSampler``/dataset with ``clip_len=None``): every frame carries
    ``gt_sem_seg`` (1, H, W) object ids (0 background, 255 void) and, except
    possibly the first and the last frame, ``pred_sem_seg`` (1, H, W) object
    ids, plus the metainfo ``video_id`` (or the clip does) and optionally
    ``frame_id``, ``img_path``, ``frame_index``, ``video_length``. It appends
    **one** entry per video (openmmlab_anchors.md B8)::

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
                without ground truth, and the errors of :func:`score_video`;
                a prediction outside 0..255 with ``output_dir``.
        """
        for sample in data_samples:
            frames = clip_frames(sample)
            video_id = self._video_id(sample, frames)
            names = [
                f'{video_id} frame {self._frame_name(frame, t)} '
                f'({frame.get("img_path")})' for t, frame in enumerate(frames)
            ]
            gts = [_frame_map(frame, 'gt_sem_seg') for frame in frames]
            missing = [name for name, gt in zip(names, gts) if gt is None]
            if missing:
                raise ValueError(f'{missing[0]}: no gt_sem_seg (DAVIS scores '
                                 'videos annotated on every frame)')
            preds = [_frame_map(frame, 'pred_sem_seg') for frame in frames]
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
