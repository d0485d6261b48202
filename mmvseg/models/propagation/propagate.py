# Copyright (c) mmvseg contributors. All rights reserved.
"""Sequential label propagation over one video.

The algorithm of the Contrastive Random Walk evaluation (Jabri et al.,
NeurIPS 2020; ajabri/videowalk ``code/test.py``, ``test``), which CatMAE
(minhoooo1/CatMAE ``downstream/davis2017-seg/code/test.py``,
``test_mae.py``) runs unchanged: every frame t >= 1 takes the top-k most
similar cells of its context and averages their soft labels; the soft result
is stored and becomes context for later frames. The context of frame t is
frame 0 as long-term slot plus the previous ``num_context`` frames, where a
frame index below 0 means frame 0 again: videowalk pads the frame list on
the left with ``num_context`` copies of frame 0 (``code/data/vos.py``,
``code/utils/test_utils.py`` ``context_index_bank``). These copies carry
frame 0's label and stay separate top-k candidates, so for t <= n frame 0
can be picked once per copy.
"""
from collections import deque
from typing import Deque, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .affinity import topk_affinity

__all__ = ['LabelPropagation', 'propagate_labels', 'labels_to_ids']


def _check_inputs(feats: Tensor, first_label: Tensor,
                  num_context: int) -> None:
    if feats.dim() != 4 or not feats.is_floating_point():
        raise ValueError('feats must be a floating point (N, C, h, w) '
                         f'tensor, got {feats.dtype} {tuple(feats.shape)}')
    if feats.shape[0] == 0:
        raise ValueError('feats holds no frame')
    if first_label.dim() != 3 or first_label.shape[0] == 0 \
            or first_label.shape[1:] != feats.shape[2:]:
        raise ValueError(
            f'first_label must be (L, h, w) = (L, {feats.shape[2]}, '
            f'{feats.shape[3]}) with L >= 1, got {tuple(first_label.shape)}')
    if isinstance(num_context, bool) or not isinstance(num_context, int) \
            or num_context < 0:
        raise ValueError(
            f'num_context must be an int >= 0, got {num_context!r}')


class LabelPropagation:
    """The propagation of :func:`propagate_labels` one frame at a time.

    Holds frame 0 (long-term slot) and the last ``num_context`` frames with
    their soft labels, i.e. the state of ``num_context + 1`` frames, so a
    video of any length streams through in constant memory;
    :meth:`step` on frames 1, 2, ... gives exactly the maps of
    :func:`propagate_labels`.

    Args:
        first_feat (Tensor): features of frame 0, (C, h, w), floating point;
            the soft labels have its dtype/device.
        first_label (Tensor): soft label of frame 0 on the feature grid,
            (L, h, w) (see :func:`propagate_labels`).
        temperature, topk, radius, num_context, normalize, tile_size: as
            :func:`propagate_labels`.

    Raises:
        ValueError: bad shapes or parameters.
    """

    def __init__(self,
                 first_feat: Tensor,
                 first_label: Tensor,
                 temperature: float,
                 topk: int,
                 radius: Optional[float],
                 num_context: int,
                 normalize: bool = True,
                 tile_size: int = 10) -> None:
        _check_inputs(first_feat[None], first_label, num_context)
        self.first_label = first_label.to(first_feat.dtype)
        self.temperature, self.topk, self.radius = temperature, topk, radius
        self.normalize, self.tile_size = normalize, tile_size
        self._feat_shape = tuple(first_feat.shape)
        self._frame0 = _normalized(first_feat, normalize)
        self._recent: Deque[Tuple[Tensor, Tensor]] = deque(
            [(self._frame0, self.first_label)] * num_context,
            maxlen=num_context)

    def step(self, feat: Tensor) -> Tensor:
        """Soft label (L, h, w) of the next frame from its features
        (C, h, w); the result joins the context of later frames.

        Raises:
            ValueError: features of another shape than frame 0's, or a cell
                with fewer than ``topk`` candidates.
        """
        if tuple(feat.shape) != self._feat_shape:
            raise ValueError(f'frame features of shape {tuple(feat.shape)} '
                             f'differ from frame 0\'s {self._feat_shape}')
        query = _normalized(feat, self.normalize)
        context = [self._frame0] + [f for f, _ in self._recent]
        labels = [self.first_label] + [label for _, label in self._recent]
        weights, indices = topk_affinity(
            query,
            context,
            topk=self.topk,
            temperature=self.temperature,
            radius=self.radius,
            num_long_term=1,
            tile_size=self.tile_size)
        num_labels, h, w = self.first_label.shape
        labels = torch.stack(labels, dim=1).reshape(num_labels, -1)
        pred = (labels[:, indices] * weights).sum(dim=1).reshape(
            num_labels, h, w)
        if self._recent.maxlen:
            self._recent.append((query, pred))
        return pred


def propagate_labels(feats: Tensor,
                     first_label: Tensor,
                     temperature: float,
                     topk: int,
                     radius: Optional[float],
                     num_context: int,
                     normalize: bool = True,
                     tile_size: int = 10) -> Tensor:
    """Propagate the soft label of frame 0 through a video.

    For t = 1 .. N-1 in order, the query frame t is matched with
    :func:`topk_affinity` against the context slots
    ``[frame 0, frame t-n, ..., frame t-1]`` (n = ``num_context``, negative
    frame indices replaced by frame 0), and its soft label is
    ``sum_i W_i * label(slot_i, cell_i)``. Frame 0 and its padded copies
    carry ``first_label``; later frames carry their own soft prediction (no
    argmax, no renormalisation). :class:`LabelPropagation` does the same
    one frame at a time.

    Args:
        feats (Tensor): backbone features of the N frames, (N, C, h, w),
            float32 (default) or float64; the result has this dtype/device.
        first_label (Tensor): soft label of frame 0 on the feature grid,
            (L, h, w), probabilities per cell (channel 0 = background;
            videowalk resizes the one-hot mask bilinearly, without
            antialiasing, to the grid); cast to the dtype of ``feats``.
        temperature (float): softmax temperature T (> 0).
        topk (int): number k of selected candidates per cell.
        radius (float, optional): short-term slots only keep cells at a
            Euclidean distance ``< radius`` feature cells; ``None`` = no
            restriction. Frame 0 as long-term slot is never restricted.
        num_context (int): number n of previous frames in the context.
        normalize (bool): L2-normalise each frame over channels (eps
            1e-12, as videowalk and CatMAE do after encoding). Set False when
            ``feats`` is already normalised. Defaults to True.
        tile_size (int): query tile side of :func:`topk_affinity` (speed
            and memory only).

    Returns:
        Tensor: soft labels (N, L, h, w), probabilities per cell (they sum
        to 1 when the channels of ``first_label`` do); frame 0 is
        ``first_label`` itself.

    Raises:
        ValueError: on bad shapes or parameters, or when a cell has fewer
            than ``topk`` candidates (see :func:`topk_affinity`).
    """
    _check_inputs(feats, first_label, num_context)
    propagation = LabelPropagation(feats[0], first_label, temperature, topk,
                                   radius, num_context, normalize, tile_size)
    out = feats.new_empty(feats.shape[0], *first_label.shape)
    out[0] = propagation.first_label
    for t in range(1, feats.shape[0]):
        out[t] = propagation.step(feats[t])
    return out


def _normalized(feat: Tensor, normalize: bool) -> Tensor:
    return F.normalize(feat, dim=0) if normalize else feat


def labels_to_ids(soft: Tensor, size: Tuple[int, int]) -> Tensor:
    """Upsample a soft label map and take the arg-max channel.

    As videowalk's ``dump_predictions`` (``code/utils/test_utils.py``):
    ``cv2.resize`` of the soft map to the frame size, then ``np.argmax``.

    Args:
        soft (Tensor): soft labels (L, h, w), floating point.
        size (tuple[int, int]): target (H, W) in pixels, the size of the
            frame fed to the backbone (not ``h * stride``).

    Returns:
        Tensor: int64 (H, W) channel ids; bilinear upsampling with
        half-pixel centres (``align_corners=False``, like ``cv2.resize``),
        ties go to the lowest channel (background first).

    Raises:
        ValueError: if ``soft`` is not a floating point 3-D tensor.
    """
    if soft.dim() != 3 or not soft.is_floating_point():
        raise ValueError('soft must be a floating point (L, h, w) tensor, '
                         f'got {soft.dtype} {tuple(soft.shape)}')
    up = F.interpolate(
        soft[None], size=tuple(size), mode='bilinear', align_corners=False)
    return up[0].argmax(dim=0)
