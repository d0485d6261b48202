# Copyright (c) mmvseg contributors. All rights reserved.
"""Worked examples of the label warps and the ssp / etc / vspw scores.

The values were computed by hand and cross-checked against the upstream code:
FraunhoferIVI/SSP ``flowwarp`` + torchmetrics ``JaccardIndex`` (ssp pair:
0.5833334), irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
``util/util.py`` ``intersectionAndUnion`` with a NumPy port of FlowNet2's
``Resample2d`` kernel (etc), VSPW-dataset/VSPW_code ``VC_perclip.py``
``get_common`` (vspw: 0.875, and no window for T = 2).
"""
import math

import numpy as np
import pytest
import torch

from mmvseg.evaluation.functional import (WARP_MODES, etc_pair_areas,
                                          etc_score, ssp_pair_score,
                                          vspw_window_scores, warp_labels)

P0 = torch.tensor([[0, 0, 1], [0, 1, 1], [2, 2, 1]])
P1 = torch.tensor([[0, 0, 0], [0, 0, 1], [2, 2, 2]])


def example_flow() -> torch.Tensor:
    """f_{0->1} of the ssp/etc example (K = 3, frames P0, P1): u = +1 except
    u(1, 1) = 0.5, v = 0."""
    flow = torch.zeros(1, 2, 3, 3)
    flow[:, 0] = 1
    flow[0, 0, 1, 1] = 0.5
    return flow


def etc_example_pair():
    """The K = 19 pair of the etc protocol: P_k, P_{k+1} and F (F_y = 0)."""
    p_k = torch.tensor([[0, 0, 1], [0, 1, 1], [2, 2, 2]])
    p_next = torch.tensor([[0, 0, 0], [2, 0, 1], [2, 2, 2]])
    flow = torch.zeros(1, 2, 3, 3)
    flow[0, 0] = torch.tensor([[1, 1, 1], [0.25, 1, 1], [0, 0, 0]])
    return p_k, p_next, flow


def warp(labels: torch.Tensor, flow: torch.Tensor, mode: str) -> torch.Tensor:
    return warp_labels(labels[None], flow, mode)[0]


def test_ssp_example_legacy_nearest():
    warped = warp(P1, example_flow(), 'legacy_nearest')
    assert warped.tolist() == [[0, 0, 0], [0, 1, 0], [2, 2, 0]]
    # c0: 3/6, c1: 1/4, c2: 2/2
    assert ssp_pair_score(P0, warped, 3) == pytest.approx(0.583333, abs=1e-6)
    # class 3 is absent from both maps: skipped
    assert ssp_pair_score(P0, warped, 4) == pytest.approx(0.583333, abs=1e-6)


def test_ssp_all_ignored_is_nan():
    assert math.isnan(ssp_pair_score(P0, torch.full((3, 3), 255), 3))


def test_etc_example_repo_bilinear_trunc():
    warped = warp(P1, example_flow(), 'repo_bilinear_trunc')
    assert warped.tolist() == [[0, 0, 0], [0, 0, 1], [2, 2, 2]]
    inter, union = etc_pair_areas(P0, warped, 3)
    assert inter.tolist() == [3, 1, 2] and union.tolist() == [5, 4, 3]
    assert inter.dtype == torch.int64
    assert etc_score(inter, union) == pytest.approx(0.505556, abs=1e-6)
    inter, union = etc_pair_areas(P0, warped, 4)
    assert etc_score(inter, union) == pytest.approx(0.379167, abs=1e-6)


def test_etc_k19_two_pairs_pool_before_dividing():
    p_k, p_next, flow = etc_example_pair()
    warped = warp(p_next, flow, 'repo_bilinear_trunc')
    assert warped.tolist() == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]
    inter1, union1 = etc_pair_areas(p_k, warped, 19)
    assert etc_score(inter1, union1) == pytest.approx(0.105263, abs=1e-6)
    zeros = torch.zeros(3, 3, dtype=torch.long)
    inter2, union2 = etc_pair_areas(zeros, zeros, 19)
    pooled = etc_score(inter1 + inter2, union1 + union2)
    assert pooled == pytest.approx(0.123482, abs=1e-6)
    per_pair_mean = (etc_score(inter1, union1) + etc_score(inter2, union2)) / 2
    assert pooled != pytest.approx(per_pair_mean, abs=1e-3)


def test_etc_k19_nearest_mode():
    p_k, p_next, flow = etc_example_pair()
    warped = warp(p_next, flow, 'nearest')
    assert warped[1, 0] == 2
    inter, union = etc_pair_areas(p_k, warped, 19)
    assert etc_score(inter, union) == pytest.approx(0.100877, abs=1e-6)


def test_etc_ignores_target_255():
    warped = torch.tensor([[0, 255], [1, 1]])
    inter, union = etc_pair_areas(torch.tensor([[0, 0], [1, 0]]), warped, 2)
    assert inter.tolist() == [1, 1] and union.tolist() == [2, 2]


def test_exact_nearest_and_bilinear_modes_on_example():
    # nearest: column 2 samples x = 3, clamped to column 2 of P1
    assert warp(P1, example_flow(), 'nearest').tolist() == [[0, 0, 0],
                                                            [0, 1, 1],
                                                            [2, 2, 2]]
    # bilinear vote at (1, 1): classes 0 and 1 weigh 0.5 each -> smaller id
    assert warp(P1, example_flow(), 'bilinear').tolist() == [[0, 0, 0],
                                                             [0, 0, 1],
                                                             [2, 2, 2]]


def test_bilinear_vote_never_invents_a_class():
    labels = torch.tensor([[0, 2], [0, 2]])
    flow = torch.zeros(1, 2, 2, 2)
    flow[0, 0, :, 0] = torch.tensor([0.25, 0.75])
    # trunc mixes 0 and 2 into class 1; the vote keeps the heavier neighbour
    assert warp(labels, flow, 'repo_bilinear_trunc')[:, 0].tolist() == [0, 1]
    assert warp(labels, flow, 'bilinear')[:, 0].tolist() == [0, 2]


def test_repo_bilinear_trunc_keeps_resample2d_rounding():
    # Resample2d sums float32-rounded terms: a uniform class-3 region with
    # flow (0.1, 0.1) gives 2.9999998 at pixel (1, 1), truncated to 2 by ETC
    labels = torch.full((3, 3), 3)
    flow = torch.full((1, 2, 3, 3), 0.1)
    assert warp(labels, flow, 'repo_bilinear_trunc')[1, 1] == 2
    for mode in ('bilinear', 'nearest', 'legacy_nearest'):
        assert warp(labels, flow, mode)[1, 1] == 3


@pytest.mark.parametrize('mode', WARP_MODES)
def test_integer_flow_is_exact_on_odd_sizes(mode):
    torch.manual_seed(0)
    labels = torch.randint(0, 19, (2, 9, 11))
    flow = torch.zeros(2, 2, 9, 11)
    flow[:, 0], flow[:, 1] = 2, -1
    warped = warp_labels(labels, flow, mode)
    # warped(y, x) = labels(y - 1, x + 2) where inside the image
    assert torch.equal(warped[:, 1:, :9], labels[:, :-1, 2:])
    assert warped.dtype == torch.int64


def test_repo_bilinear_trunc_identity_on_large_odd_width():
    labels = torch.randint(0, 19, (1, 5, 2047))
    flow = torch.zeros(1, 2, 5, 2047)
    assert torch.equal(warp_labels(labels, flow, 'repo_bilinear_trunc'),
                       labels)


def test_warp_labels_errors():
    with pytest.raises(ValueError, match='warp_mode'):
        warp_labels(P1[None], example_flow(), 'cubic')
    with pytest.raises(ValueError, match='expected labels'):
        warp_labels(P1, example_flow(), 'nearest')
    with pytest.raises(ValueError, match='expected two'):
        ssp_pair_score(P0, P1[:2], 3)


def vspw_example():
    g0 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
    g1 = [[0, 0, 1], [0, 1, 1], [2, 2, 2]]
    p0 = [[0, 0, 1], [0, 0, 1], [2, 2, 1]]
    p1 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
    return np.array([g0, g1, g1]), np.array([p0, p1, np.ones((3, 3))])


def test_vspw_example():
    gts, preds = vspw_example()
    assert vspw_window_scores(gts, preds, 2) == [0.875]
    # T = 2, n = 2: range(0) -> no window
    assert vspw_window_scores(gts[:2], preds[:2], 2) == []


def test_vspw_windows_skip_the_last_one_and_nan():
    gts = torch.zeros(5, 2, 2, dtype=torch.long)
    preds = torch.zeros(5, 2, 2, dtype=torch.long)
    preds[2, 0, 0] = 1
    # windows i = 0, 1, 2 (i = 3 = T - n is skipped); n = 2
    assert vspw_window_scores(gts, preds, 2) == [1.0, 0.75, 0.75]
    gts[1] = 1  # no pixel keeps its label between frames 0 and 1
    scores = vspw_window_scores(gts, preds, 3)
    assert math.isnan(scores[0]) and len(scores) == 2


def test_vspw_errors():
    gts, preds = vspw_example()
    with pytest.raises(ValueError, match='n must be >= 2'):
        vspw_window_scores(gts, preds, 1)
    with pytest.raises(ValueError, match='one shape'):
        vspw_window_scores(gts, preds[:, :2], 2)
