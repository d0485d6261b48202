# Copyright (c) mmvseg contributors. All rights reserved.
"""``topk_affinity`` against a dense, unoptimised reference.

The dense reference scores every (slot, key cell) pair, adds ``-1e10`` on
the short-term slots where ``dist >= radius`` (dense ``P x P`` mask), divides
by T, takes ``torch.topk`` jointly over the ``S * P`` candidates and a
softmax over the selected values, as ``mem_efficient_batched_affinity`` of
ajabri/videowalk ``code/utils/test_utils.py`` (also run by CatMAE) does.
"""
import math
from typing import List, Optional, Tuple

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from mmvseg.models.propagation import topk_affinity


def dense_affinity(query: Tensor, context: List[Tensor], topk: int,
                   temperature: float,
                   radius: Optional[float]) -> Tuple[Tensor, Tensor]:
    channels, h, w = query.shape
    num_cells = h * w
    keys = torch.stack(context).reshape(len(context), channels, num_cells)
    scores = torch.einsum('scp,cq->spq', keys,
                          query.reshape(channels, num_cells))
    if radius is not None:
        yy, xx = torch.meshgrid(
            torch.arange(h), torch.arange(w), indexing='ij')
        coords = torch.stack([yy, xx], -1).reshape(-1, 2).double()
        mask = torch.where(
            torch.cdist(coords, coords) < radius, 0., -1e10).to(scores.dtype)
        scores[1:] += mask
    scores = scores / temperature
    values, indices = scores.reshape(-1, num_cells).topk(topk, dim=0)
    return values.softmax(dim=0), indices


def random_maps(num: int, channels: int, h: int, w: int,
                dtype: torch.dtype = torch.float32,
                seed: int = 0) -> List[Tensor]:
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(num, channels, h, w, generator=gen, dtype=dtype)
    return list(F.normalize(feats, dim=1))


CASES = [
    # (h, w, C, n short-term, k, T, radius, tile)
    (8, 11, 16, 2, 1, 0.05, 2.5, 8),
    (8, 11, 32, 3, 5, 0.2, 3, 3),
    (8, 11, 64, 5, 10, 0.7, None, 8),
    (10, 14, 32, 4, 10, 0.05, 4, 5),
    (10, 14, 16, 5, 5, 0.7, 2.5, 8),
    (10, 14, 64, 2, 1, 0.2, None, 4),
    (12, 9, 48, 3, 10, 0.2, 3, 1),
    (12, 9, 16, 5, 5, 0.05, 4, 100),
    (12, 9, 32, 2, 10, 0.7, 2.5, 7),
]


@pytest.mark.parametrize('h,w,channels,num_short,topk,temperature,radius,tile',
                         CASES)
def test_equals_dense_float32(h, w, channels, num_short, topk, temperature,
                              radius, tile):
    maps = random_maps(num_short + 2, channels, h, w, seed=h * w + channels)
    query, context = maps[0], maps[1:]
    weights, indices = topk_affinity(
        query, context, topk, temperature, radius=radius, tile_size=tile)
    ref_w, ref_i = dense_affinity(query, context, topk, temperature, radius)
    assert weights.shape == (topk, h * w) and weights.dtype == torch.float32
    assert indices.dtype == torch.int64
    assert torch.equal(indices, ref_i)
    torch.testing.assert_close(weights, ref_w, rtol=0, atol=1e-5)
    torch.testing.assert_close(
        weights.sum(0), torch.ones(h * w), rtol=0, atol=1e-6)


@pytest.mark.parametrize('radius', [2.5, 3, None])
def test_equals_dense_float64(radius):
    maps = random_maps(6, 24, 10, 14, dtype=torch.float64, seed=3)
    query, context = maps[0], maps[1:]
    weights, indices = topk_affinity(query, context, 7, 0.05, radius=radius)
    ref_w, ref_i = dense_affinity(query, context, 7, 0.05, radius)
    assert weights.dtype == torch.float64
    assert torch.equal(indices, ref_i)
    torch.testing.assert_close(weights, ref_w, rtol=0, atol=1e-12)


def test_copies_of_frame0_stay_separate_candidates():
    """Padded copies of frame 0 (videowalk pads the context with them) tie
    with frame 0; each copy is a candidate."""
    maps = random_maps(3, 16, 8, 11, seed=5)
    query, frame0, other = maps
    context = [frame0, frame0, frame0, other]
    weights, indices = topk_affinity(query, context, 10, 0.2, radius=3)
    ref_w, ref_i = dense_affinity(query, context, 10, 0.2, 3)
    torch.testing.assert_close(weights, ref_w, rtol=0, atol=1e-6)
    # tied copies share the key cell; which copy wins a tie is unspecified
    assert torch.equal(indices % (8 * 11), ref_i % (8 * 11))
    # the same key cell is picked once per copy, never deduplicated
    cells = indices % (8 * 11)
    assert (cells[0] == cells[1]).any()


def test_grid_smaller_than_topk():
    """P = 6 < k = 10: the short-term slots supply the missing candidates."""
    maps = random_maps(5, 16, 2, 3, seed=7)
    query, context = maps[0], maps[1:]
    weights, indices = topk_affinity(query, context, 10, 0.2, radius=2.5)
    ref_w, ref_i = dense_affinity(query, context, 10, 0.2, 2.5)
    assert torch.equal(indices, ref_i)
    torch.testing.assert_close(weights, ref_w, rtol=0, atol=1e-6)


def test_long_term_slot_alone_supplies_topk():
    """r = 1 keeps one short-term cell; slot 0 still gives k candidates."""
    maps = random_maps(4, 16, 3, 4, seed=8)
    query, context = maps[0], maps[1:]
    weights, indices = topk_affinity(query, context, 10, 0.7, radius=1)
    ref_w, ref_i = dense_affinity(query, context, 10, 0.7, 1)
    assert torch.equal(indices, ref_i)
    torch.testing.assert_close(weights, ref_w, rtol=0, atol=1e-6)
    # r = 1 keeps only the query's own cell in the short-term slots
    slot, cell = indices // 12, indices % 12
    own = torch.arange(12).expand_as(cell)
    assert torch.equal(cell[slot > 0], own[slot > 0])


@pytest.mark.parametrize('radius,size,count', [(12, 25, 437), (4, 9, 45),
                                               (2.5, 7, 21)])
def test_radius_keeps_disk(radius, size, count):
    """Short-term candidates = cells at dist < r (strict, Euclidean).

    The short-term slot matches the query everywhere (score 1), the
    long-term slot is orthogonal (score 0): the cells picked from slot 1
    are exactly the disk clipped to the grid.
    """
    basis = torch.eye(2)
    query = basis[0].reshape(2, 1, 1).expand(2, size, size).contiguous()
    long_term = basis[1].reshape(2, 1, 1).expand(2, size, size).contiguous()
    topk = count + 1
    weights, indices = topk_affinity(
        query, [long_term, query], topk, 0.05, radius=radius)
    num_short = (indices >= size * size).sum(0).reshape(size, size)
    yy, xx = torch.meshgrid(
        torch.arange(size), torch.arange(size), indexing='ij')
    coords = torch.stack([yy, xx], -1).reshape(-1, 2).double()
    expected = (torch.cdist(coords, coords) < radius).sum(1)
    assert torch.equal(num_short.reshape(-1), expected)
    assert int(num_short[size // 2, size // 2]) == count
    assert int(num_short.max()) == count
    # the square box would hold more cells than the disk
    assert (2 * (math.ceil(radius) - 1) + 1)**2 > count


def test_errors():
    maps = random_maps(3, 8, 2, 2)
    query, context = maps[0], maps[1:]
    with pytest.raises(ValueError, match='candidates'):
        topk_affinity(query, context, 6, 0.1, radius=1)
    with pytest.raises(ValueError, match='candidates'):
        topk_affinity(query, context, 9, 0.1, radius=None)
    with pytest.raises(ValueError, match='query'):
        topk_affinity(query[0], context, 1, 0.1)
    with pytest.raises(ValueError, match='slot 1'):
        topk_affinity(query, [context[0], context[1][:4]], 1, 0.1)
    with pytest.raises(ValueError, match='slot 0'):
        topk_affinity(query, [context[0].double()], 1, 0.1)
    with pytest.raises(ValueError, match='topk'):
        topk_affinity(query, context, 0, 0.1)
    with pytest.raises(ValueError, match='temperature'):
        topk_affinity(query, context, 1, 0.)
    with pytest.raises(ValueError, match='radius'):
        topk_affinity(query, context, 1, 0.1, radius=0)
    with pytest.raises(ValueError, match='num_long_term'):
        topk_affinity(query, context, 1, 0.1, num_long_term=3)
    with pytest.raises(ValueError, match='at least one'):
        topk_affinity(query, [], 1, 0.1)
