# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVIS J&F of semi-supervised video object segmentation.

Re-implements the arithmetic of the official DAVIS evaluator,
davisvideochallenge/davis2017-evaluation at commit ``ac7c43f``
(``davis2017/metrics.py``, ``davis2017/utils.py``, ``davis2017/davis.py``,
``davis2017/results.py``, ``davis2017/evaluation.py``,
``evaluation_method.py``), so that the numbers are identical:

* objects of a video are the ids ``1..N``, ``N`` = largest id of the **first**
  ground-truth frame after void (255) was set to background (``get_all_masks``
  in ``davis2017/davis.py``; the semi-supervised path passes no void map to
  the measures, so void pixels are plain background);
* the first and the last frame are not scored (``[:, 1:-1]`` in
  ``davis2017/evaluation.py``);
* J = IoU per frame and object (1 when the union is empty), F = boundary
  F-measure with a tolerance of ``ceil(0.008 * diagonal)`` pixels
  (``davis2017/metrics.py``);
* per object: mean, recall (share of frames > 0.5) and decay (first minus last
  quarter, ``db_statistics`` in ``davis2017/utils.py``); global numbers are
  means over all objects of all videos (``evaluation_method.py``), and
  J&F-Mean = (J-Mean + F-Mean) / 2.
"""
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from skimage.morphology import disk

#: ground-truth value of void pixels (background in the semi-supervised task)
VOID_ID = 255
#: the seven numbers of ``evaluation_method.py``, in its order
GLOBAL_KEYS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean',
               'F-Recall', 'F-Decay')


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
        summary: the seven ``GLOBAL_KEYS`` as fractions and ``per_object``
            (``{'<video>_<k>': {'J': mean, 'F': mean, ...}}``), the output
            of :meth:`mmvseg.evaluation.metrics.DAVISMetric.summarize`.
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
