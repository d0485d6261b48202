# Copyright (c) mmvseg contributors. All rights reserved.
"""Temporally consistent teacher targets of KD-SSP.

Source: FraunhoferIVI/SSP, ``models/video/models_consistency.py``
(``ConsistencyWrapper.kd_get_consistent_logits``), used with
``kd_consistent_labels: true``; paper: "High Temporal Consistency through
Semantic Similarity Propagation in Semi-Supervised Video Semantic
Segmentation for Autonomous Flight" (arXiv 2503.15676). Spec: methods.md
§1.5 (targets), §4.3 (flow and warp conventions).

For a training pair (t-1, t) with teacher logits ``T_{t-1}``, ``T_t`` and
the flows ``f_b = f_{t->t-1}`` (on frame t's grid) and
``f_f = f_{t-1->t}`` (on frame t-1's grid), each target becomes the mean of
its own logits and the neighbour's logits warped onto its grid, wherever the
pixel is not occluded (v = 1), and stays its own logits elsewhere (v = 0):

    T_t^c     = (T_t     + v * W_n(T_{t-1}, f_b)) / (1 + v)
    T_{t-1}^c = (T_{t-1} + v * W_n(T_t,     f_f)) / (1 + v)

``W_n`` is the repository's ``flowwarp`` with its default ``mode='nearest'``
(``models/opt_flow.py``: ``grid_sample(align_corners=False)`` on the grid
``2 (x + u) / (W - 1) - 1``, zero padding), i.e. our
``flow_warp(..., mode='nearest', padding='zeros', legacy_grid=True)``. A
sample that falls outside the frame reads 0, so a non-occluded pixel there is
averaged with 0, as in the repository.
"""
from typing import Tuple

import torch
from torch import Tensor

from mmvseg.models.flow import flow_warp

OCCLUSION_MODES = ('repo', 'warped')
# Forward-backward check constants (UnFlow: alpha_1 = 0.01, alpha_2 = 0.5);
# the repository uses the same numbers.
_ALPHA_1 = 0.01
_ALPHA_2 = 0.5


def _check_flows(flow_fw: Tensor, flow_bw: Tensor) -> None:
    for name, flow in (('flow_fw', flow_fw), ('flow_bw', flow_bw)):
        if flow.dim() != 4 or flow.shape[1] != 2:
            raise ValueError(
                f'{name} must be (B, 2, H, W), got {tuple(flow.shape)}')
        if not flow.is_floating_point():
            raise TypeError(f'{name} must be a float tensor, got {flow.dtype}')
    if flow_fw.shape != flow_bw.shape:
        raise ValueError('flow_fw and flow_bw must have the same shape, got '
                         f'{tuple(flow_fw.shape)} and {tuple(flow_bw.shape)}')


def flow_occlusion_mask(flow_fw: Tensor,
                        flow_bw: Tensor,
                        mode: str = 'repo') -> Tensor:
    """Forward-backward flow consistency test: where a pixel is occluded.

    With ``a`` the frame ``flow_fw`` starts from and ``b`` the other one
    (``flow_fw = f_{a->b}`` on a's grid, ``flow_bw = f_{b->a}`` on b's grid),
    a pixel p is occluded when

        |f_fw(p) + g(p)|^2 > 0.01 (|f_fw(p)|^2 + |g(p)|^2) + 0.5

    (squared Euclidean norms over the (x, y) channel), where ``g`` depends on
    ``mode``:

    - ``'repo'``: ``g(p) = f_bw(p)``, both flows read at the same pixel, as
      FraunhoferIVI/SSP ``ConsistencyWrapper.kd_get_consistent_logits`` does
      (methods.md §1.5, marked ⚠). The test is symmetric in the two flows.
    - ``'warped'``: ``g(p) = f_bw(p + f_fw(p))``: ``flow_bw`` is first
      warped onto a's grid by ``flow_fw``, the usual check of Sundaram, Brox
      and Keutzer, "Dense point trajectories by GPU-accelerated large
      displacement optical flow" (ECCV 2010), with the constants of UnFlow
      (Meister, Hur and Roth, AAAI 2018, its forward occlusion mask). The
      warp is bilinear in pixel units with zero padding (our choice:
      :func:`mmvseg.models.flow.flow_warp`, ``legacy_grid=False``), so a
      pixel whose flow leaves the frame reads ``g = 0`` and counts as
      occluded as soon as ``|f_fw(p)|^2 > 0.5 / 0.99``. The mask lives on a's
      grid; swap the arguments for the mask on b's grid.

    Args:
        flow_fw: (B, 2, H, W) float flow ``f_{a->b}`` in pixels, channel 0 =
            x (columns), channel 1 = y (rows).
        flow_bw: (B, 2, H, W) float flow ``f_{b->a}`` in pixels, same
            layout and dtype.
        mode: ``'repo'`` or ``'warped'``.

    Returns:
        Tensor: (B, 1, H, W) bool, True where occluded.

    Raises:
        ValueError: unknown ``mode``; a flow that is not (B, 2, H, W) or
            flows of different shapes (the message names the shapes).
        TypeError: a flow that is not floating point.
    """
    if mode not in OCCLUSION_MODES:
        raise ValueError(
            f'mode must be one of {OCCLUSION_MODES}, got {mode!r}')
    _check_flows(flow_fw, flow_bw)
    if mode == 'warped':
        flow_bw = flow_warp(flow_bw, flow_fw, mode='bilinear', padding='zeros')
    mismatch = (flow_fw + flow_bw).square().sum(1, keepdim=True)
    magnitude = (flow_fw.square().sum(1, keepdim=True) +
                 flow_bw.square().sum(1, keepdim=True))
    return mismatch > _ALPHA_1 * magnitude + _ALPHA_2


def _check_logits(teacher_t: Tensor, teacher_prev: Tensor,
                  flow_bw: Tensor) -> None:
    for name, logits in (('teacher_t', teacher_t),
                         ('teacher_prev', teacher_prev)):
        if logits.dim() != 4:
            raise ValueError(
                f'{name} must be (B, K, H, W), got {tuple(logits.shape)}')
        if not logits.is_floating_point():
            raise TypeError(
                f'{name} must be a float tensor, got {logits.dtype}')
    if teacher_t.shape != teacher_prev.shape:
        raise ValueError(
            'teacher_t and teacher_prev must have the same shape, got '
            f'{tuple(teacher_t.shape)} and {tuple(teacher_prev.shape)}')
    if teacher_t.dtype != teacher_prev.dtype:
        raise TypeError('teacher_t and teacher_prev must share a dtype, got '
                        f'{teacher_t.dtype} and {teacher_prev.dtype}')
    b, _, h, w = teacher_t.shape
    if (flow_bw.shape[0], *flow_bw.shape[2:]) != (b, h, w):
        raise ValueError(
            'flows must be (B, 2, H, W) with the logits\' B, H and W, got '
            f'logits {tuple(teacher_t.shape)} and flows '
            f'{tuple(flow_bw.shape)}')


def _average(own: Tensor, neighbour: Tensor, flow: Tensor,
             visible: Tensor) -> Tensor:
    """(own + v W_n(neighbour, flow)) / (1 + v), v = visible (0. or 1.)."""
    warped = flow_warp(
        neighbour, flow, mode='nearest', padding='zeros', legacy_grid=True)
    return (own + visible * warped) / (1 + visible)


def kd_consistent_logits(teacher_t: Tensor,
                         teacher_prev: Tensor,
                         flow_bw: Tensor,
                         flow_fw: Tensor,
                         occlusion: str = 'repo') -> Tuple[Tensor, Tensor]:
    """KD-SSP's consistent teacher targets ``(T_t^c, T_{t-1}^c)``.

    See the module docstring for the formula and the warp. Occlusion
    (:func:`flow_occlusion_mask`):

    - ``'repo'`` (default, the repository): one mask
      ``flow_occlusion_mask(flow_fw, flow_bw, 'repo')`` for both frames.
    - ``'warped'``: one mask per frame, each on the grid of the target it
      gates: frame t's is ``flow_occlusion_mask(flow_bw, flow_fw,
      'warped')`` (``flow_fw`` warped onto t by ``flow_bw``), frame t-1's is
      ``flow_occlusion_mask(flow_fw, flow_bw, 'warped')``.

    The computation runs in float32 at least (float16/bfloat16 inputs are
    promoted: in float16 a sample position near x = 1280 cannot hold a
    fraction), and the results are cast back to the logits' dtype. Nothing is
    detached: the targets carry gradients only if the inputs do.

    Args:
        teacher_t: (B, K, H, W) float teacher logits of frame t.
        teacher_prev: (B, K, H, W) float teacher logits of frame t-1, same
            dtype.
        flow_bw: (B, 2, H, W) float flow ``f_{t->t-1}`` (on frame t's grid)
            in pixels, channel 0 = x, channel 1 = y; the repository's
            ``RAFT(x_t, x_{t-1})`` (its variable ``flow_last2current``).
        flow_fw: (B, 2, H, W) float flow ``f_{t-1->t}`` (on frame t-1's
            grid) in pixels; ``RAFT(x_{t-1}, x_t)`` (``flow_current2last``
            in the repository).
        occlusion: ``'repo'`` or ``'warped'``.

    Returns:
        tuple[Tensor, Tensor]: ``T_t^c`` and ``T_{t-1}^c``, each
        (B, K, H, W) in the dtype of the logits.

    Raises:
        ValueError: unknown ``occlusion``; logits that are not (B, K, H, W)
            or differ in shape; flows that are not (B, 2, H, W) with the
            logits' B, H, W (messages name the shapes).
        TypeError: non-float logits or flows, or logits of two dtypes.
    """
    if occlusion not in OCCLUSION_MODES:
        raise ValueError(
            f'occlusion must be one of {OCCLUSION_MODES}, got {occlusion!r}')
    _check_flows(flow_fw, flow_bw)
    _check_logits(teacher_t, teacher_prev, flow_bw)
    dtype = torch.promote_types(teacher_t.dtype, torch.float32)
    own_t, own_prev = teacher_t.to(dtype), teacher_prev.to(dtype)
    flow_bw, flow_fw = flow_bw.to(dtype), flow_fw.to(dtype)
    if occlusion == 'repo':
        occluded_t = occluded_prev = flow_occlusion_mask(
            flow_fw, flow_bw, 'repo')
    else:
        occluded_t = flow_occlusion_mask(flow_bw, flow_fw, 'warped')
        occluded_prev = flow_occlusion_mask(flow_fw, flow_bw, 'warped')
    target_t = _average(own_t, own_prev, flow_bw, (~occluded_t).to(dtype))
    target_prev = _average(own_prev, own_t, flow_fw,
                           (~occluded_prev).to(dtype))
    return target_t.to(teacher_t.dtype), target_prev.to(teacher_t.dtype)
