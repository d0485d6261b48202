# Copyright (c) mmvseg contributors. All rights reserved.
"""Numeric parts of the temporal-consistency (TC) protocols.

Pure functions on tensors; the metrics of
:mod:`mmvseg.evaluation.metrics.temporal_consistency` add frame reading, flow
estimation and accumulation over clips.

* ``ssp`` (FraunhoferIVI/SSP ``utils/metrics.py`` ``temporal_consistency``):
  per pair, macro IoU of ``P_t`` and the warped ``P_{t+1}`` over the classes
  present in either map (:func:`ssp_pair_score`).
* ``etc`` (irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
  ``tool/eval_tc.py``): per pair, class-wise intersection and union
  (:func:`etc_pair_areas`), pooled over all pairs before dividing
  (:func:`etc_score`).
* ``vspw`` (VSPW-dataset/VSPW_code ``VC_perclip.py`` ``get_common``): no flow;
  window scores from ground truth and predictions (:func:`vspw_window_scores`).

Flow convention: a flow ``f_{t->s}`` is a float (N, 2, H, W) tensor in pixels
(channel 0 = x, 1 = y) on the grid of frame t; warping a map ``m_s`` of frame
s with it gives ``m_s(p + f_{t->s}(p))`` on frame t (backward warping, as
:func:`mmvseg.models.flow.flow_warp`). :func:`warp_labels` brings the label
map of frame t+1 onto frame t with ``f_{t->t+1}``.
"""
import math
from typing import List, Tuple, Union

import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric
from torch import Tensor

from mmvseg.models.flow import flow_warp

WARP_MODES = ('legacy_nearest', 'repo_bilinear_trunc', 'nearest', 'bilinear')
PROTOCOL_WARP_MODES = {'ssp': 'legacy_nearest', 'etc': 'repo_bilinear_trunc'}

_TIE_TOLERANCE = 1e-6


def _pixel_grid(flow: Tensor) -> Tuple[Tensor, Tensor]:
    """Column and row indices (H, W) as float32 on the flow's device."""
    h, w = flow.shape[2:]
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32, device=flow.device),
        torch.arange(w, dtype=torch.float32, device=flow.device),
        indexing='ij')
    return xs, ys


def _corner_labels(labels: Tensor, x0: Tensor, y0: Tensor) -> List[Tensor]:
    """Labels at the four integer corners (x0, y0), (x0+1, y0), (x0, y0+1),
    (x0+1, y0+1), indices clamped to the image.

    Args:
        labels: (N, 1, H, W) float32 class ids.
        x0, y0: (N, H, W) float32 integer-valued pixel positions.

    Returns:
        list[Tensor]: four (N, H, W) float32 maps.
    """
    xs, ys = _pixel_grid(labels)
    corners = []
    for dy in (0, 1):
        for dx in (0, 1):
            offset = torch.stack((x0 + dx - xs, y0 + dy - ys), dim=1)
            corners.append(
                flow_warp(labels, offset, 'nearest', 'border')[:, 0])
    return corners


def _resample2d_trunc(labels: Tensor, flow: Tensor) -> Tensor:
    """FlowNet2 ``Resample2d`` on class ids, then a uint8-style truncation.

    Follows the arithmetic of NVIDIA/flownet2-pytorch
    ``resample2d_kernel.cu`` (``kernel_size=1``, ``bilinear=True``):
    ``xf = x + u`` in float32, ``alpha = xf - floor(xf)``, corner indices
    clamped to the image (positions are not), each corner term
    ``weight * value`` formed in float64 and rounded to float32, the four terms
    summed in float32. The rounding matters because ETC truncates: inside a
    region of class v a fractional flow can give ``v - 1e-7`` and thus v - 1
    (e.g. v = 3, flow (0.1, 0.1) -> 2.9999998 -> 2), as the repo does. Integer
    flows give exact labels.
    """
    xs, ys = _pixel_grid(flow)
    px, py = xs + flow[:, 0], ys + flow[:, 1]
    x0, y0 = torch.floor(px), torch.floor(py)
    alpha, beta = (px - x0).double(), (py - y0).double()
    weights = ((1 - alpha) * (1 - beta), alpha * (1 - beta),
               (1 - alpha) * beta, alpha * beta)
    value = torch.zeros_like(px)
    for weight, corner in zip(weights, _corner_labels(labels, x0, y0)):
        value = value + (weight * corner.double()).float()
    return torch.trunc(value).long()


def _bilinear_vote(labels: Tensor, flow: Tensor) -> Tensor:
    """The class with the largest bilinear weight among the four neighbours.

    Equal to warping the one-hot map bilinearly (border clamp) and taking the
    argmax (ties to the smaller class id), without building K channels.
    """
    h, w = labels.shape[2:]
    xs, ys = _pixel_grid(flow)
    px = (xs + flow[:, 0]).clamp(0, w - 1)
    py = (ys + flow[:, 1]).clamp(0, h - 1)
    x0, y0 = torch.floor(px), torch.floor(py)
    ax, ay = px - x0, py - y0
    weights = ((1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay)
    corners = _corner_labels(labels, x0, y0)
    votes = torch.stack([
        sum(wt * (other == corner) for wt, other in zip(weights, corners))
        for corner in corners
    ])
    winners = votes >= votes.max(dim=0).values - _TIE_TOLERANCE
    candidates = torch.where(winners, torch.stack(corners),
                             torch.full_like(votes, math.inf))
    return candidates.min(dim=0).values.long()


def warp_labels(labels: Tensor, flow: Tensor, warp_mode: str) -> Tensor:
    """Bring label maps of frame s onto frame t with ``f_{t->s}``.

    Labels are warped as float and cast back to integers:

    * ``'legacy_nearest'`` (``ssp`` default): nearest, legacy grid
      (``align_corners=False``), zero padding, so samples outside frame s
      become class 0 (``flowwarp(x, flo, mode="nearest")`` of
      FraunhoferIVI/SSP ``models/opt_flow.py``, used by ``utils/metrics.py``:
      grid normalised by ``W - 1``, ``grid_sample(align_corners=False)``).
      The sampled column is ``(x + u) * W / (W - 1) - 0.5``, so with a zero
      flow and an even W the last column falls outside (likewise the last row
      for an even H).
    * ``'repo_bilinear_trunc'`` (``etc`` default): bilinear, border clamp,
      truncation toward zero like ETC's ``.astype(np.uint8)``; may produce a
      class present in neither neighbour (see :func:`_resample2d_trunc`).
    * ``'nearest'``: exact grid, round half to even, border clamp.
    * ``'bilinear'``: the neighbour class with the largest bilinear weight
      (one-hot bilinear warp + argmax), border clamp; never invents a class.

    Args:
        labels: (N, H, W) integer class ids of frame s (values >= 0).
        flow: (N, 2, H, W) float flow ``f_{t->s}`` in pixels.
        warp_mode: one of :data:`WARP_MODES`.

    Returns:
        Tensor: (N, H, W) int64 labels on frame t's grid.

    Raises:
        ValueError: unknown ``warp_mode`` or mismatched shapes.
    """
    if warp_mode not in WARP_MODES:
        raise ValueError(
            f'warp_mode must be one of {WARP_MODES}, got {warp_mode!r}')
    if labels.dim() != 3 or flow.shape != (labels.shape[0], 2,
                                           *labels.shape[1:]):
        raise ValueError('expected labels (N, H, W) and flow (N, 2, H, W), '
                         f'got {tuple(labels.shape)} and {tuple(flow.shape)}')
    flow = flow.float()
    labels = labels.float()[:, None]
    if warp_mode == 'legacy_nearest':
        warped = flow_warp(labels, flow, 'nearest', 'zeros', legacy_grid=True)
        return warped[:, 0].long()
    if warp_mode == 'nearest':
        return flow_warp(labels, flow, 'nearest', 'border')[:, 0].long()
    if warp_mode == 'repo_bilinear_trunc':
        return _resample2d_trunc(labels, flow)
    return _bilinear_vote(labels, flow)


def _check_pair(pred_t: Tensor, warped_next: Tensor) -> None:
    if pred_t.dim() != 2 or pred_t.shape != warped_next.shape:
        raise ValueError('expected two (H, W) label maps of one size, got '
                         f'{tuple(pred_t.shape)} and '
                         f'{tuple(warped_next.shape)}')


def ssp_pair_score(pred_t: Tensor,
                   warped_next: Tensor,
                   num_classes: int,
                   ignore_index: int = 255) -> float:
    """Per-pair score of the ``ssp`` protocol.

    Macro IoU of ``pred_t`` and ``warped_next`` over the classes present in
    either map, as torchmetrics ``JaccardIndex(average='macro')`` in
    FraunhoferIVI/SSP ``utils/metrics.py``; pixels where ``warped_next`` is
    ``ignore_index`` are left out.

    Args:
        pred_t: (H, W) integer prediction of frame t.
        warped_next: (H, W) integer prediction of frame t+1 warped onto t.
        num_classes: K; values outside ``[0, K)`` are not counted.
        ignore_index: label value left out.

    Returns:
        float: score in [0, 1]; NaN when no class is present.

    Raises:
        ValueError: the maps are not (H, W) maps of one size.
    """
    inter, union = etc_pair_areas(pred_t, warped_next, num_classes,
                                  ignore_index)
    present = union > 0
    if not present.any():
        return math.nan
    return (inter[present].double() / union[present].double()).mean().item()


def etc_pair_areas(pred_t: Tensor,
                   warped_next: Tensor,
                   num_classes: int,
                   ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Per-pair class areas of the ``etc`` protocol.

    ETC's ``util/util.py`` ``intersectionAndUnion(output=P_t, target=warped)``
    (mmseg's :meth:`IoUMetric.intersect_and_union`, the same computation):
    ``I_c = #{P_t = W = c}``, ``U_c = #{P_t = c} + #{W = c} - I_c`` over
    pixels with ``W != ignore_index``.

    Args:
        pred_t: (H, W) integer prediction of frame t.
        warped_next: (H, W) integer prediction of frame t+1 warped onto t.
        num_classes: K; values outside ``[0, K)`` are not counted.
        ignore_index: target value left out.

    Returns:
        tuple[Tensor, Tensor]: intersection and union, (K,) int64 each
        (pixel counts, exact up to 2**24 pixels per frame).

    Raises:
        ValueError: the maps are not (H, W) maps of one size.
    """
    _check_pair(pred_t, warped_next)
    inter, union = IoUMetric.intersect_and_union(pred_t, warped_next,
                                                 num_classes, ignore_index)[:2]
    return inter.long(), union.long()


def etc_score(area_intersect: Union[Tensor, np.ndarray],
              area_union: Union[Tensor, np.ndarray]) -> float:
    """TC of the ``etc`` protocol from pooled areas.

    ``mean_{c < K} I_c / (U_c + 1e-10)``: every class counts, a class never
    seen gives 0 (ETC ``tool/eval_tc.py``).

    Args:
        area_intersect: (K,) intersections summed over all pairs.
        area_union: (K,) unions summed over all pairs.

    Returns:
        float: TC in [0, 1].
    """
    inter = np.asarray(area_intersect, dtype=np.float64)
    union = np.asarray(area_union, dtype=np.float64)
    return float(np.mean(inter / (union + 1e-10)))


def vspw_window_scores(gts: Union[Tensor, np.ndarray],
                       preds: Union[Tensor, np.ndarray],
                       n: int) -> List[float]:
    """Window scores ``acc_i`` of the ``vspw`` protocol (VC_n) for one video.

    VSPW_code ``VC_perclip.py`` ``get_common``: for windows
    ``i in range(T - n)`` (the last possible window ``i = T - n`` is skipped,
    as in VSPW), ``C_i`` = pixels whose ground truth equals that of frame i in
    all of frames i+1 … i+n-1, ``Q_i`` the same for the predictions, and
    ``acc_i = |C_i & Q_i| / |C_i|``. No ignore handling (a pixel that is 255
    throughout counts as consistent).

    Args:
        gts: (T, H, W) integer ground truth of every frame.
        preds: (T, H, W) integer predictions of every frame.
        n: window length, >= 2.

    Returns:
        list[float]: ``T - n`` scores (empty when ``T <= n``); NaN where
        ``|C_i| = 0``.

    Raises:
        ValueError: ``n < 2`` or shapes that differ / are not (T, H, W).
    """
    if n < 2:
        raise ValueError(f'the window length n must be >= 2, got {n}')
    gts, preds = torch.as_tensor(gts).cpu(), torch.as_tensor(preds).cpu()
    if gts.dim() != 3 or gts.shape != preds.shape:
        raise ValueError('expected ground truths and predictions of one shape '
                         f'(T, H, W), got {tuple(gts.shape)} and '
                         f'{tuple(preds.shape)}')
    windows = gts.shape[0] - n
    if windows <= 0:
        return []
    gt_same = torch.ones((windows, *gts.shape[1:]), dtype=torch.bool)
    pred_same = torch.ones_like(gt_same)
    for j in range(1, n):
        gt_same &= gts[:windows] == gts[j:j + windows]
        pred_same &= preds[:windows] == preds[j:j + windows]
    hits = (gt_same & pred_same).sum(dim=(1, 2)).double()
    total = gt_same.sum(dim=(1, 2)).double()
    return (hits / total).tolist()
