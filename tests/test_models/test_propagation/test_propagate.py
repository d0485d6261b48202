# Copyright (c) mmvseg contributors. All rights reserved.
"""``propagate_labels`` against a dense, unoptimised reference.

The reference restates the ``test`` loop of ajabri/videowalk
``code/test.py`` literally: the video is left-padded with n copies of frame
0 (features and labels), every query frame gathers all ``(n + 1) * P``
context candidates, adds a dense ``-1e10`` radius mask on the short-term
slots, divides by T, takes the joint ``torch.topk`` and the softmax of the
selected values, and stores the weighted soft label as context for the next
frames.
"""
from typing import Optional

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from mmvseg.models.propagation import (labels_to_ids, propagate_labels,
                                       topk_affinity)


def dense_propagation(feats: Tensor, first_label: Tensor, temperature: float,
                      topk: int, radius: Optional[float],
                      num_context: int) -> Tensor:
    num_frames, channels, h, w = feats.shape
    num_cells = h * w
    feats = F.normalize(feats, dim=1)
    padded = torch.cat([feats[:1].expand(num_context, -1, -1, -1), feats])
    padded = padded.reshape(-1, channels, num_cells)
    first_label = first_label.reshape(-1, num_cells)
    labels = [first_label] * num_context + [
        torch.zeros_like(first_label)] * num_frames
    mask = torch.zeros(num_cells, num_cells, dtype=feats.dtype)
    if radius is not None:
        yy, xx = torch.meshgrid(
            torch.arange(h), torch.arange(w), indexing='ij')
        coords = torch.stack([yy, xx], -1).reshape(-1, 2).double()
        mask[torch.cdist(coords, coords) >= radius] = -1e10
    out = []
    for t in range(num_frames):
        if t == 0:
            labels[num_context] = first_label
            out.append(labels[num_context])
            continue
        slots = [0] + list(range(t, t + num_context))
        keys = padded[slots]
        scores = torch.einsum('scp,cq->spq', keys, padded[num_context + t])
        scores[1:] += mask
        scores = scores / temperature
        values, indices = scores.reshape(-1, num_cells).topk(topk, dim=0)
        weights = values.softmax(dim=0)
        ctx_labels = torch.cat([labels[s] for s in slots], dim=1)
        pred = (ctx_labels[:, indices] * weights).sum(dim=1)
        labels[num_context + t] = pred
        out.append(pred)
    return torch.stack(out).reshape(num_frames, -1, h, w)


def drifting_video(num_frames: int, channels: int, h: int, w: int,
                   dtype: torch.dtype = torch.float32,
                   seed: int = 0) -> Tensor:
    """Random features that drift slowly, so matches are not trivial."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(channels, h, w, generator=gen, dtype=dtype)
    steps = torch.randn(
        num_frames, channels, h, w, generator=gen, dtype=dtype).cumsum(0)
    return base + 0.3 * steps


def first_frame_label(num_labels: int, h: int, w: int,
                      dtype: torch.dtype = torch.float32,
                      seed: int = 0) -> Tensor:
    """Soft one-hot label, as videowalk's bilinear downsampling of a mask
    gives (channels sum to 1 per cell)."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, num_labels, (h // 2 + 1, w // 2 + 1),
                        generator=gen)
    onehot = F.one_hot(ids, num_labels).permute(2, 0, 1).to(dtype)
    return F.interpolate(
        onehot[None], size=(h, w), mode='bilinear', align_corners=False)[0]


CASES = [
    # (frames, h, w, C, n, k, T, radius)
    (7, 8, 11, 16, 2, 1, 0.05, 2.5),
    (8, 8, 11, 32, 3, 5, 0.2, 3),
    (8, 10, 14, 64, 5, 10, 0.7, 4),
    (9, 10, 14, 16, 4, 10, 0.05, None),
    (7, 12, 9, 48, 2, 5, 0.7, 2.5),
    (9, 12, 9, 32, 5, 10, 0.2, 3),
    (6, 12, 9, 24, 3, 1, 0.2, None),
]


@pytest.mark.parametrize('num_frames,h,w,channels,n,topk,temperature,radius',
                         CASES)
def test_equals_dense_float32(num_frames, h, w, channels, n, topk,
                              temperature, radius):
    feats = drifting_video(num_frames, channels, h, w, seed=channels + n)
    label = first_frame_label(3, h, w, seed=n)
    out = propagate_labels(feats, label, temperature, topk, radius, n)
    ref = dense_propagation(feats, label, temperature, topk, radius, n)
    assert out.shape == (num_frames, 3, h, w) and out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)
    assert torch.equal(out.argmax(1), ref.argmax(1))


@pytest.mark.parametrize('radius', [2.5, None])
def test_equals_dense_float64(radius):
    feats = drifting_video(8, 20, 10, 14, dtype=torch.float64, seed=1)
    label = first_frame_label(4, 10, 14, dtype=torch.float64, seed=1)
    out = propagate_labels(feats, label, 0.05, 10, radius, 4, tile_size=3)
    ref = dense_propagation(feats, label, 0.05, 10, radius, 4)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)


def test_padded_copies_are_separate_candidates():
    """Deduplicating the copies of frame 0 changes the early frames; the
    reference (and ``propagate_labels``) keeps every copy as a slot."""
    feats = drifting_video(4, 16, 8, 11, seed=2)
    label = first_frame_label(3, 8, 11, seed=2)
    out = propagate_labels(feats, label, 0.7, 10, 3, 3)
    ref = dense_propagation(feats, label, 0.7, 10, 3, 3)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)
    # frame 2 with the context deduplicated to [frame 0, frame 1]
    feats = F.normalize(feats, dim=1)
    weights, indices = topk_affinity(
        feats[2], [feats[0], feats[1]], 10, 0.7, radius=3)
    labels = torch.stack([label, out[1]], dim=1).reshape(3, -1)
    dedup = (labels[:, indices] * weights).sum(1).reshape(3, 8, 11)
    assert not torch.allclose(out[2], dedup, atol=1e-3)


def test_first_frame_and_simplex():
    feats = drifting_video(6, 16, 9, 10, seed=3)
    label = first_frame_label(5, 9, 10, seed=3)
    out = propagate_labels(feats, label, 0.2, 5, 4, 2)
    assert torch.equal(out[0], label)
    torch.testing.assert_close(
        out.sum(1), torch.ones(6, 9, 10), rtol=0, atol=1e-5)
    assert out.min() >= 0


def test_normalize_flag():
    feats = drifting_video(5, 16, 8, 11, seed=4)
    label = first_frame_label(2, 8, 11, seed=4)
    out = propagate_labels(feats, label, 0.2, 5, 3, 2)
    pre = propagate_labels(
        F.normalize(feats, dim=1), label, 0.2, 5, 3, 2, normalize=False)
    torch.testing.assert_close(out, pre, rtol=0, atol=1e-6)


def test_single_frame():
    label = first_frame_label(2, 8, 11)
    out = propagate_labels(torch.randn(1, 4, 8, 11), label, 0.2, 5, 3, 2)
    assert torch.equal(out, label[None])


def test_propagate_errors():
    feats = torch.randn(3, 4, 8, 11)
    label = first_frame_label(2, 8, 11)
    with pytest.raises(ValueError, match='feats'):
        propagate_labels(feats[0], label, 0.2, 5, 3, 2)
    with pytest.raises(ValueError, match='feats'):
        propagate_labels(feats.long(), label, 0.2, 5, 3, 2)
    with pytest.raises(ValueError, match='no frame'):
        propagate_labels(feats[:0], label, 0.2, 5, 3, 2)
    with pytest.raises(ValueError, match='first_label'):
        propagate_labels(feats, label[:, :4], 0.2, 5, 3, 2)
    with pytest.raises(ValueError, match='num_context'):
        propagate_labels(feats, label, 0.2, 5, 3, -1)
    with pytest.raises(ValueError, match='candidates'):
        propagate_labels(feats[:, :, :2, :2], label[:, :2, :2], 0.2, 5, 1, 0)


def test_labels_to_ids():
    soft = torch.zeros(3, 2, 2)
    soft[1, 0, 0] = 1.
    soft[2, 1, 1] = 1.
    soft[0, 0, 1] = soft[2, 0, 1] = 0.5
    ids = labels_to_ids(soft, (4, 4))
    assert ids.dtype == torch.int64 and ids.shape == (4, 4)
    assert ids[0, 0] == 1 and ids[3, 3] == 2
    assert ids[0, 3] == 0  # tie between channels 0 and 2 -> lowest channel
    # exact target size, not a scale factor: 3 cells -> 10 px
    up = labels_to_ids(torch.rand(2, 3, 3), (7, 10))
    assert up.shape == (7, 10)
    ref = F.interpolate(
        soft[None], size=(4, 4), mode='bilinear', align_corners=False)
    assert torch.equal(ids, ref[0].argmax(0))
    with pytest.raises(ValueError, match='soft'):
        labels_to_ids(soft[0], (4, 4))
