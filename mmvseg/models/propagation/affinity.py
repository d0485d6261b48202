# Copyright (c) mmvseg contributors. All rights reserved.
"""Exact memory-efficient top-k affinity of label propagation.

Reference semantics (label propagation of the Contrastive Random Walk,
Jabri et al., NeurIPS 2020, as coded in ajabri/videowalk): for a query cell
q, the candidates are every cell of the *long-term* context slots (frame 0)
and the cells p of the *short-term* slots with ``dist(p, q) < radius``
(Euclidean, strict, in feature cells). Scores are cosine similarities divided
by the temperature; the ``topk`` largest are taken jointly over all
candidates and weighted by a softmax over the selected values. This is the
affinity of ``mem_efficient_batched_affinity`` in ajabri/videowalk
``code/utils/test_utils.py``, called by ``code/test.py`` (the same code runs
in CatMAE), where the radius restriction is an additive ``-1e10`` from a
dense ``P x P`` mask (``MaskedAttention`` of ``code/utils/__init__.py``),
added to the short-term slots before the division by T.

Implementation (own, exact): instead of gathering all context features and
scoring ``(n + 1) * P`` candidates per query cell, query cells are processed
in square tiles. For a tile, a short-term slot is scored only against the key
window that the disk can reach (tile grown by ``R = ceil(radius) - 1``
cells, clipped to the grid), cells at ``dist >= radius`` are set to
``-inf``, and a per-slot top-k is taken; long-term slots are scored against
the whole grid. The per-slot lists are merged by one more top-k, and only
the k selected scores are divided by T (a positive division is monotone, so
these are the values the reference selects after dividing all scores). This
equals the joint top-k of the reference: (a) masked entries of the reference
score at most ``(1 - 1e10) / T``, below every unmasked score (cosines / T lie
in [-1/T, 1/T]), and a long-term slot supplies P >= k unmasked candidates, so
the reference never selects a masked entry; (b) an element of the joint
top-k is always within the top-k of its own slot (otherwise k larger values
of that slot would precede it), so merging per-slot lists recovers it. Copies
of one frame given as several slots remain separate candidates: they tie,
carry the same label, and the reference can pick the same key cell once per
copy. Memory per tile is ``O(tile^2 * P)`` for long-term slots and
``O(tile^2 * (tile + 2 R)^2)`` for short-term slots, independent of the
number of slots.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

__all__ = ['topk_affinity']


def _check_inputs(query: Tensor, context: Sequence[Tensor], topk: int,
                  temperature: float, radius: Optional[float],
                  num_long_term: int, tile_size: int) -> None:
    if query.dim() != 3:
        raise ValueError('query must be a (C, h, w) feature map, got shape '
                         f'{tuple(query.shape)}')
    if not query.is_floating_point():
        raise ValueError(f'query must be floating point, got {query.dtype}')
    if len(context) == 0:
        raise ValueError('context must hold at least one (C, h, w) map')
    for slot, feat in enumerate(context):
        if feat.shape != query.shape or feat.dtype != query.dtype:
            raise ValueError(
                f'context slot {slot} has shape {tuple(feat.shape)} and '
                f'dtype {feat.dtype}; expected {tuple(query.shape)} and '
                f'{query.dtype} like the query')
    if not 0 <= num_long_term <= len(context):
        raise ValueError(f'num_long_term must be in [0, {len(context)}], '
                         f'got {num_long_term}')
    if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
        raise ValueError(f'topk must be a positive int, got {topk!r}')
    if not temperature > 0:
        raise ValueError(f'temperature must be > 0, got {temperature!r}')
    if radius is not None and not radius > 0:
        raise ValueError(f'radius must be > 0 or None, got {radius!r}')
    if tile_size < 1:
        raise ValueError(f'tile_size must be >= 1, got {tile_size}')


class _Window:
    """Key window of one query tile for the short-term slots.

    Attributes:
        rows, cols (slice): key rows / columns that the disk can reach.
        key_pos (Tensor): int64 (Kt,), flat key positions of the window.
        outside (Tensor): bool (qt, Kt), True where ``dist >= radius``.
    """

    def __init__(self, tile_rows: slice, tile_cols: slice,
                 grid: Tuple[int, int], radius: float,
                 device: torch.device) -> None:
        h, w = grid
        reach = math.ceil(radius) - 1
        self.rows = slice(max(0, tile_rows.start - reach),
                          min(h, tile_rows.stop + reach))
        self.cols = slice(max(0, tile_cols.start - reach),
                          min(w, tile_cols.stop + reach))
        ky, kx = _cell_coords(self.rows, self.cols, device)
        qy, qx = _cell_coords(tile_rows, tile_cols, device)
        self.key_pos = ky * w + kx
        dist2 = (qy[:, None] - ky[None]).square() + (
            qx[:, None] - kx[None]).square()
        self.outside = dist2.double().sqrt() >= radius


def _cell_coords(rows: slice, cols: slice,
                 device: torch.device) -> Tuple[Tensor, Tensor]:
    """Row and column (int64, row-major) of the cells of a grid block."""
    y = torch.arange(rows.start, rows.stop, device=device)
    x = torch.arange(cols.start, cols.stop, device=device)
    return y.repeat_interleave(x.numel()), x.repeat(y.numel())


def topk_affinity(query: Tensor,
                  context: Sequence[Tensor],
                  topk: int,
                  temperature: float,
                  radius: Optional[float] = None,
                  num_long_term: int = 1,
                  tile_size: int = 10) -> Tuple[Tensor, Tensor]:
    """Top-k affinity of one query frame to its context slots.

    Args:
        query (Tensor): L2-normalised features of the query frame,
            (C, h, w), float32 or float64.
        context (Sequence[Tensor]): L2-normalised features of the S context
            slots, each (C, h, w) with the query's dtype and device; slots
            ``0 .. num_long_term - 1`` are long-term (frame 0 in videowalk
            and CatMAE), the others short-term. Slots that are copies of the
            same frame are separate candidates. Maps should be contiguous
            (a non-contiguous map is copied once); beyond that only one key
            window (C, (tile + 2R)^2) is copied at a time, never the whole
            context.
        topk (int): number k of selected candidates per query cell.
        temperature (float): softmax temperature T (> 0); scores are
            cosine similarities / T.
        radius (float, optional): short-term slots only keep key cells at a
            Euclidean distance ``< radius`` feature cells from the query
            cell (strict). ``None`` keeps every cell of every slot.
            Long-term slots are never restricted.
        num_long_term (int): number of leading unrestricted slots.
            Defaults to 1.
        tile_size (int): side of the square query tiles, in feature cells.
            Only speed and memory depend on it, not the result: the score
            buffers of a tile hold ``tile^2 * P`` (long-term slot) and
            ``tile^2 * (tile + 2R)^2`` (short-term slot) values, with
            ``R = ceil(radius) - 1``. Defaults to 10 (fastest of 6..16 on CPU
            at the CRW size 60x110, r = 12 and r = 18).

    Returns:
        tuple[Tensor, Tensor]: weights W (k, P) in the query dtype, softmax
        probabilities summing to 1 over dim 0, sorted by decreasing score;
        and indices I (k, P) int64 in the reference layout
        ``slot * P + key position`` (row-major key position ``y * w + x``),
        with ``P = h * w`` query cells in row-major order.

    Raises:
        ValueError: on bad shapes, dtypes or parameters, or when a query
            cell has fewer than ``topk`` candidates (impossible with a
            long-term slot and ``P >= topk``).
    """
    _check_inputs(query, context, topk, temperature, radius, num_long_term,
                  tile_size)
    channels, h, w = query.shape
    num_cells = h * w
    flat_context = [feat.reshape(channels, num_cells) for feat in context]
    values = query.new_empty(num_cells, topk)
    indices = torch.empty(
        num_cells, topk, dtype=torch.long, device=query.device)
    for y0 in range(0, h, tile_size):
        tile_rows = slice(y0, min(h, y0 + tile_size))
        for x0 in range(0, w, tile_size):
            tile_cols = slice(x0, min(w, x0 + tile_size))
            tile_q = query[:, tile_rows, tile_cols].reshape(channels, -1).t()
            window = None
            if radius is not None and num_long_term < len(context):
                window = _Window(tile_rows, tile_cols, (h, w), radius,
                                 query.device)
            cand_values: List[Tensor] = []
            cand_indices: List[Tensor] = []
            for slot, feat in enumerate(context):
                if window is None or slot < num_long_term:
                    scores = tile_q @ flat_context[slot]
                    key_pos = None
                else:
                    keys = feat[:, window.rows, window.cols]
                    scores = tile_q @ keys.reshape(channels, -1)
                    scores.masked_fill_(window.outside, -math.inf)
                    key_pos = window.key_pos
                slot_values, slot_indices = scores.topk(
                    min(topk, scores.shape[1]), dim=1)
                if key_pos is not None:
                    slot_indices = key_pos[slot_indices]
                cand_values.append(slot_values)
                cand_indices.append(slot_indices + slot * num_cells)
            qy, qx = _cell_coords(tile_rows, tile_cols, query.device)
            tile_values, tile_indices = _merge(cand_values, cand_indices,
                                               topk, qy, qx)
            qpos = qy * w + qx
            values[qpos] = tile_values
            indices[qpos] = tile_indices
    weights = torch.softmax(values / temperature, dim=1)
    return weights.t().contiguous(), indices.t().contiguous()


def _merge(cand_values: List[Tensor], cand_indices: List[Tensor], topk: int,
           qy: Tensor, qx: Tensor) -> Tuple[Tensor, Tensor]:
    """Joint top-k (qt, k) of the per-slot lists of one tile (raw scores).

    ``qy``, ``qx`` (qt,) are the tile's cells, used in error messages only.
    """
    cand_values = torch.cat(cand_values, dim=1)
    if cand_values.shape[1] < topk:
        raise ValueError(
            f'topk={topk} exceeds the {cand_values.shape[1]} candidates of '
            f'query cell (row {int(qy[0])}, col {int(qx[0])})')
    tile_values, sel = cand_values.topk(topk, dim=1)
    short = (tile_values[:, -1] == -math.inf).nonzero()
    if short.numel():
        cell = int(short[0])
        count = int((cand_values[cell] > -math.inf).sum())
        raise ValueError(
            f'topk={topk} exceeds the {count} candidates of query cell '
            f'(row {int(qy[cell])}, col {int(qx[cell])})')
    return tile_values, torch.cat(cand_indices, dim=1).gather(1, sel)
