# Copyright (c) mmvseg contributors. All rights reserved.
import math
import re

import pytest
import torch

from mmvseg.models.losses import TemporalMotionLoss, motion_mask
from mmvseg.registry import MODELS


def _spec_example():
    """The unit-test vector of the ETC spec (section 3.2): zero flow,
    I_t = 0, channel 0 of I_o = [[0, 1], [-2, 0.5]], S_o = 0."""
    frames_t = torch.zeros(1, 3, 2, 2)
    frames_other = torch.zeros(1, 3, 2, 2)
    frames_other[0, 0] = torch.tensor([[0., 1.], [-2., 0.5]])
    logits_t = torch.zeros(1, 2, 2, 2)
    logits_t[0, 0, 0, 0] = 1
    logits_t[0, 1, 1, 1] = 1
    return (logits_t, torch.zeros(1, 2, 2, 2), frames_t, frames_other,
            torch.zeros(1, 2, 2, 2))


def test_spec_vector():
    loss = TemporalMotionLoss()
    expected = 0.1 * (1 + math.exp(-1)) / 8
    assert expected == pytest.approx(0.0170985, abs=1e-7)
    assert loss(*_spec_example()).item() == pytest.approx(0.0170985,
                                                          abs=1e-6)
    mask = motion_mask(*_spec_example()[2:4])
    assert torch.allclose(
        mask[0, 0],
        torch.tensor([[1, math.exp(-1)], [math.exp(-2), math.exp(-0.5)]]))


def test_build_from_registry():
    loss = MODELS.build(dict(type='TemporalMotionLoss', loss_weight=1.0))
    assert isinstance(loss, TemporalMotionLoss)
    assert loss.loss_name == 'loss_tl'
    assert loss(*_spec_example()).item() == pytest.approx(
        (1 + math.exp(-1)) / 8, rel=1e-6)
    assert TemporalMotionLoss().loss_weight == 0.1


def test_mask_options():
    # channel differences (+1, -1, 0): the signed sum cancels, L1 does not
    frames_t = torch.zeros(1, 3, 1, 1)
    frames_other = torch.tensor([1., -1., 0.]).reshape(1, 3, 1, 1)
    assert motion_mask(frames_t, frames_other).item() == 1.0
    assert motion_mask(frames_t, frames_other,
                       'exp_l1').item() == pytest.approx(math.exp(-2))
    logits_t = torch.tensor([2., 0.]).reshape(1, 2, 1, 1)
    logits_other = torch.zeros(1, 2, 1, 1)
    flow = torch.zeros(1, 2, 1, 1)
    args = (logits_t, logits_other, frames_t, frames_other, flow)
    assert TemporalMotionLoss(loss_weight=1.0)(*args).item() == 2.0
    assert TemporalMotionLoss(
        loss_weight=1.0, mask='exp_l1')(*args).item() == pytest.approx(
            4 * math.exp(-4) / 2)
    with pytest.raises(ValueError, match='mask'):
        TemporalMotionLoss(mask='l2')
    with pytest.raises(ValueError, match='mask'):
        motion_mask(frames_t, frames_other, 'l2')


def test_on_probs():
    # p_t = (0.5, 0.5), p_o = (0.75, 0.25): squared differences 1/16 each
    logits_t = torch.zeros(1, 2, 1, 1)
    logits_other = torch.tensor([math.log(3), 0.]).reshape(1, 2, 1, 1)
    frames = torch.zeros(1, 3, 1, 1)
    loss = TemporalMotionLoss(loss_weight=1.0, on='probs')
    value = loss(logits_t, logits_other, frames, frames,
                 torch.zeros(1, 2, 1, 1))
    assert value.item() == pytest.approx(1 / 16)
    with pytest.raises(ValueError, match='on'):
        TemporalMotionLoss(on='log_probs')


def test_bilinear_border_warp_and_direction():
    # flow f_{t->o} = +1 in x: frame t sees o one column to the right; the
    # last column reads o's border (FlowNet2 Resample2d clamps).
    logits_other = torch.tensor([[1., 2., 3.]]).reshape(1, 1, 1, 3)
    frames = torch.zeros(1, 3, 1, 3)
    flow = torch.zeros(1, 2, 1, 3)
    flow[:, 0] = 1
    loss = TemporalMotionLoss(loss_weight=1.0)
    shifted = torch.tensor([[2., 3., 3.]]).reshape(1, 1, 1, 3)
    assert loss(shifted, logits_other, frames, frames, flow).item() == 0
    flow[:, 0] = 0.5  # bilinear: halfway between neighbours
    halfway = torch.tensor([[1.5, 2.5, 3.]]).reshape(1, 1, 1, 3)
    assert loss(halfway, logits_other, frames, frames,
                flow).item() == pytest.approx(0, abs=1e-12)
    flow[:, 0] = 7  # far outside: the border value, not zero
    border = torch.full((1, 1, 1, 3), 3.)
    assert loss(border, logits_other, frames, frames, flow).item() == 0


def test_gradients_reach_both_logits_not_mask():
    torch.manual_seed(0)
    logits_t = torch.randn(2, 4, 5, 6, requires_grad=True)
    logits_other = torch.randn(2, 4, 5, 6, requires_grad=True)
    frames_t = torch.randn(2, 3, 5, 6, requires_grad=True)
    frames_other = torch.randn(2, 3, 5, 6, requires_grad=True)
    flow = torch.randn(2, 2, 5, 6) * 2
    mask = motion_mask(frames_t, frames_other)
    assert not mask.requires_grad
    TemporalMotionLoss()(logits_t, logits_other, frames_t, frames_other,
                         flow).backward()
    assert logits_t.grad.abs().sum() > 0
    assert logits_other.grad.abs().sum() > 0
    assert frames_t.grad is None and frames_other.grad is None


def test_detach_other():
    torch.manual_seed(0)
    logits_t = torch.randn(1, 3, 4, 4, requires_grad=True)
    logits_other = torch.randn(1, 3, 4, 4, requires_grad=True)
    frames = torch.randn(1, 3, 4, 4)
    flow = torch.randn(1, 2, 4, 4)
    args = (logits_t, logits_other, frames, frames.flip(3), flow)
    loss = TemporalMotionLoss(detach_other=True)(*args)
    assert loss.item() == pytest.approx(TemporalMotionLoss()(*args).item())
    loss.backward()
    assert logits_t.grad.abs().sum() > 0
    assert logits_other.grad is None


@pytest.mark.parametrize('which, shape', [
    (1, (1, 3, 4, 4)),  # other logits with another class count
    (2, (1, 4, 4, 4)),  # frame t with four channels
    (3, (1, 3, 5, 4)),  # other frame of another size
    (4, (1, 2, 4)),  # flow not 4-d
])
def test_bad_shapes(which, shape):
    args = [
        torch.zeros(1, 2, 4, 4),
        torch.zeros(1, 2, 4, 4),
        torch.zeros(1, 3, 4, 4),
        torch.zeros(1, 3, 4, 4),
        torch.zeros(1, 2, 4, 4)
    ]
    args[which] = torch.zeros(shape)
    with pytest.raises(ValueError, match=re.escape(str(shape))) as info:
        TemporalMotionLoss()(*args)
    assert '(1, 2, 4, 4)' in str(info.value)


def test_prepare_frames():
    mean = torch.tensor([123.675, 116.28, 103.53]).reshape(1, 3, 1, 1)
    assert torch.allclose(
        TemporalMotionLoss.prepare_frames(mean), torch.zeros(1, 3, 1, 1))
