# Copyright (c) mmvseg contributors. All rights reserved.
import math

import pytest
import torch

from mmvseg.models.losses import TemporalConsistencyLoss
from mmvseg.models.utils import imagenet_normalize
from mmvseg.registry import MODELS


def _example():
    """A hand-made case of ``TempConstLoss``: channel sums of x_t - x_{t-1}
    are (0, 1, -2)."""
    frames_prev = torch.zeros(1, 3, 1, 3)
    frames_t = torch.tensor([[0., 1., -2.], [0., 0., 0.],
                             [0., 0., 0.]]).reshape(1, 3, 1, 3)
    logits_t = torch.tensor([[1., 0., 2.], [0., 1., 1.]]).reshape(1, 2, 1, 3)
    logits_prev = torch.zeros(1, 2, 1, 3)
    return logits_t, logits_prev, torch.zeros(1, 2, 1, 3), frames_t, \
        frames_prev


def test_repo_example_value():
    loss = TemporalConsistencyLoss(loss_weight=1.0)
    expected = (1 + math.exp(-1) * 1 + math.exp(-2) * 5) / 6
    assert expected == pytest.approx(0.340759, abs=1e-6)
    assert loss(*_example()).item() == pytest.approx(expected, rel=1e-6)
    half = MODELS.build(dict(type='TemporalConsistencyLoss', loss_weight=0.5))
    assert half(*_example()).item() == pytest.approx(expected / 2, rel=1e-6)
    assert half.loss_name == 'loss_tc'


def test_flow_moves_previous_logits_and_gradients_reach_both():
    # logits_prev shifted right by one pixel; flow f_{t->t-1} = +1 in x
    # brings it back, so the loss vanishes wherever the sample is inside.
    torch.manual_seed(0)
    base = torch.randn(1, 4, 5, 7)
    logits_prev = torch.zeros_like(base)
    logits_prev[..., 1:] = base[..., :-1]
    flow = torch.zeros(1, 2, 5, 7)
    flow[:, 0] = 1
    frames = torch.zeros(1, 3, 5, 7)
    loss = TemporalConsistencyLoss(loss_weight=1.0, legacy_grid=False)
    logits_t = base.clone()
    logits_t[..., -1] = 0  # the last column samples outside: warped to 0
    assert loss(logits_t, logits_prev, flow, frames, frames).item() == 0.0
    logits_t.requires_grad_()
    logits_prev.requires_grad_()
    loss(logits_t + 1, logits_prev, flow, frames, frames).backward()
    assert logits_t.grad.abs().sum() > 0 and logits_prev.grad.abs().sum() > 0


def test_imagenet_normalize():
    frames = torch.tensor([123.675, 116.28, 103.53]).reshape(1, 3, 1, 1)
    assert torch.allclose(imagenet_normalize(frames), torch.zeros(1, 3, 1, 1))
    white = torch.full((1, 3, 1, 1), 255.)
    expected = torch.tensor([(255 - 123.675) / 58.395, (255 - 116.28) / 57.12,
                             (255 - 103.53) / 57.375])
    assert torch.allclose(imagenet_normalize(white).flatten(), expected)
