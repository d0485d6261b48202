# Copyright (c) mmvseg contributors. All rights reserved.
"""KD-SSP consistent teacher targets (methods.md §1.5) on hand-made flows.

The 2x3 example (pixels written (x, y), rows y = 0 and 1):

    f_b = f_{t->t-1}  (t's grid)       f_f = f_{t-1->t}  (t-1's grid)
    (0,0)  (1,0)  (-1,0)               (0,0)       (-1,0)  (-1,0)
    (2,0)  (0,-1) (-10,0)              (-0.5,0.5)  (0,1)   (10.8,0)

Occluded when |f + g|^2 > 0.01 (|f|^2 + |g|^2) + 0.5.

'repo' (g = the other flow at the same pixel), f = f_b, g = f_f:
    (0,0): 0 > 0.5 no;  (1,0): 0 no;  (2,0): |(-2,0)|^2 = 4 > 0.52 yes;
    (0,1): |(1.5,0.5)|^2 = 2.5 > 0.545 yes;  (1,1): 0 no;
    (2,1): |(0.8,0)|^2 = 0.64 > 0.01 (100 + 116.64) + 0.5 = 2.6664 no.

'warped', frame t (f = f_b, g = f_f read bilinearly at p + f_b(p)):
    (0,0): g = f_f(0,0) = 0, no;  (1,0): g = f_f(2,0) = (-1,0), sum 0, no;
    (2,0): g = f_f(1,0) = (-1,0), 4 > 0.52 yes;
    (0,1): g = f_f(2,1) = (10.8,0), 12.8^2 > 1.7064 yes;
    (1,1): g = f_f(1,0) = (-1,0), |(-1,-1)|^2 = 2 > 0.52 yes;
    (2,1): p + f_b = (-8,1) outside, g = 0, 100 > 1.5 yes.
'warped', frame t-1 (f = f_f, g = f_b read at q + f_f(q)):
    (0,0): no;  (1,0): g = f_b(0,0) = 0, 1 > 0.51 yes;
    (2,0): g = f_b(1,0) = (1,0), sum 0, no;
    (0,1): position (-0.5, 1.5): only (0,1) is inside, weight 1/4, so
           g = (0.5, 0), |(0, 0.5)|^2 = 0.25 > 0.5075 no;
    (1,1): position (1,2) outside, 1 > 0.51 yes;
    (2,1): position (12.8,1) outside, 116.64 > 1.6664 yes.

The repository's nearest warp W_n samples column (x + u) W / (W - 1) - 0.5
= 1.5 (x + u) - 0.5 and row (y + v) H / (H - 1) - 0.5 = 2 (y + v) - 0.5,
rounded half to even, outside -> 0. For this 2x3 grid a row-1 sample with
v = 0 lands on row 1.5 -> 2: outside.
    W_n(T_{t-1}, f_b) reads (0,0) (2,0) (1,0) / out (1,0) out
    W_n(T_t, f_f)     reads (0,0) (0,0) (1,0) / out out   out
      ((1,0): 1.5 * 0 - 0.5 = -0.5 -> 0; (0,1): 1.5 * -0.5 - 0.5 = -1.25
       -> -1, outside).
"""
import pytest
import torch

from mmvseg.models.utils.kd_targets import (flow_occlusion_mask,
                                            kd_consistent_logits)


def _flows():
    f_b = torch.tensor([[[0., 1., -1.], [2., 0., -10.]],
                        [[0., 0., 0.], [0., -1., 0.]]])[None]
    f_f = torch.tensor([[[0., -1., -1.], [-0.5, 0., 10.8]],
                        [[0., 0., 0.], [0.5, 1., 0.]]])[None]
    return f_b, f_f


def _logits():
    """K = 2: class 1 is minus class 0 (averages are linear)."""
    t = torch.tensor([[1., 2., 3.], [4., 5., 6.]])
    prev = torch.tensor([[10., 20., 30.], [40., 50., 60.]])
    return torch.stack((t, -t))[None], torch.stack((prev, -prev))[None]


def test_repo_mask_reads_both_flows_at_the_same_pixel():
    f_b, f_f = _flows()
    expected = torch.tensor([[[[False, False, True], [True, False, False]]]])
    assert torch.equal(flow_occlusion_mask(f_f, f_b, 'repo'), expected)
    # symmetric: the same mask for both frames
    assert torch.equal(flow_occlusion_mask(f_b, f_f, 'repo'), expected)


def test_warped_mask_warps_the_second_flow_by_the_first():
    f_b, f_f = _flows()
    on_t = torch.tensor([[[[False, False, True], [True, True, True]]]])
    on_prev = torch.tensor([[[[False, True, False], [False, True, True]]]])
    assert torch.equal(flow_occlusion_mask(f_b, f_f, 'warped'), on_t)
    assert torch.equal(flow_occlusion_mask(f_f, f_b, 'warped'), on_prev)


def test_repo_targets_by_hand():
    f_b, f_f = _flows()
    teacher_t, teacher_prev = _logits()
    target_t, target_prev = kd_consistent_logits(teacher_t, teacher_prev,
                                                 f_b, f_f)
    # v = 1 - occluded = [[1, 1, 0], [0, 1, 1]]
    # T_t^c: (1+10)/2, (2+30)/2, 3 | 4, (5+20)/2, (6+0)/2 (zero padding)
    expected_t = torch.tensor([[5.5, 16., 3.], [4., 12.5, 3.]])
    # T_{t-1}^c: (10+1)/2, (20+1)/2, 30 | 40, (50+0)/2, (60+0)/2
    expected_prev = torch.tensor([[5.5, 10.5, 30.], [40., 25., 30.]])
    assert torch.equal(target_t[0], torch.stack((expected_t, -expected_t)))
    assert torch.equal(target_prev[0],
                       torch.stack((expected_prev, -expected_prev)))


def test_warped_targets_by_hand():
    f_b, f_f = _flows()
    teacher_t, teacher_prev = _logits()
    target_t, target_prev = kd_consistent_logits(
        teacher_t, teacher_prev, f_b, f_f, occlusion='warped')
    # v_t = [[1, 1, 0], [0, 0, 0]]: (1+10)/2, (2+30)/2, then own logits
    expected_t = torch.tensor([[5.5, 16., 3.], [4., 5., 6.]])
    # v_{t-1} = [[1, 0, 1], [1, 0, 0]]: (10+1)/2, 20, (30+2)/2 | (40+0)/2
    expected_prev = torch.tensor([[5.5, 20., 16.], [20., 50., 60.]])
    assert torch.equal(target_t[0], torch.stack((expected_t, -expected_t)))
    assert torch.equal(target_prev[0],
                       torch.stack((expected_prev, -expected_prev)))


@pytest.mark.parametrize('mode', ['repo', 'warped'])
def test_zero_flow_gives_plain_averages(mode):
    # H - 1 and W - 1 even: the legacy nearest warp is exact for zero flow.
    torch.manual_seed(0)
    teacher_t, teacher_prev = torch.randn(2, 3, 3, 5), torch.randn(2, 3, 3, 5)
    zero = torch.zeros(2, 2, 3, 5)
    assert not flow_occlusion_mask(zero, zero, mode).any()
    target_t, target_prev = kd_consistent_logits(
        teacher_t, teacher_prev, zero, zero, occlusion=mode)
    mean = (teacher_t + teacher_prev) / 2
    assert torch.equal(target_t, mean)
    assert torch.equal(target_prev, mean)


def test_float16_logits_keep_their_dtype():
    f_b, f_f = _flows()
    teacher_t, teacher_prev = _logits()
    half = kd_consistent_logits(teacher_t.half(), teacher_prev.half(), f_b,
                                f_f)
    full = kd_consistent_logits(teacher_t, teacher_prev, f_b, f_f)
    for h, f in zip(half, full):
        assert h.dtype == torch.float16
        assert torch.equal(h.float(), f)


def test_shape_and_dtype_errors_name_them():
    f_b, f_f = _flows()
    teacher_t, teacher_prev = _logits()
    with pytest.raises(ValueError, match=r'\(1, 3, 2, 3\)'):
        flow_occlusion_mask(torch.zeros(1, 3, 2, 3), f_b)
    with pytest.raises(ValueError, match=r'\(1, 2, 2, 4\)'):
        flow_occlusion_mask(f_f, torch.zeros(1, 2, 2, 4))
    with pytest.raises(TypeError, match='torch.int64'):
        flow_occlusion_mask(f_f.long(), f_b)
    with pytest.raises(ValueError, match="'forward'"):
        flow_occlusion_mask(f_f, f_b, mode='forward')
    with pytest.raises(ValueError, match=r'got \(2, 2, 3\)'):
        kd_consistent_logits(teacher_t[0], teacher_prev[0], f_b, f_f)
    with pytest.raises(ValueError, match=r'\(1, 3, 2, 3\)'):
        kd_consistent_logits(teacher_t, torch.zeros(1, 3, 2, 3), f_b, f_f)
    with pytest.raises(ValueError, match=r'\(1, 2, 4, 6\)'):
        kd_consistent_logits(teacher_t, teacher_prev,
                             torch.zeros(1, 2, 4, 6), torch.zeros(1, 2, 4, 6))
    with pytest.raises(TypeError, match='torch.int64'):
        kd_consistent_logits(teacher_t.long(), teacher_prev.long(), f_b, f_f)
    with pytest.raises(TypeError, match='torch.float64'):
        kd_consistent_logits(teacher_t, teacher_prev.double(), f_b, f_f)
    with pytest.raises(ValueError, match="'unflow'"):
        kd_consistent_logits(teacher_t, teacher_prev, f_b, f_f, 'unflow')
