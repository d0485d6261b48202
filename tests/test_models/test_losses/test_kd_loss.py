# Copyright (c) mmvseg contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmvseg.models.losses.kd_loss import SoftLabelKDLoss
from mmvseg.registry import MODELS


def _example():
    """1x2x2x2 logits, tau = 2, a = 2 ln 3 (so softmax((a, 0) / 2) is
    (3/4, 1/4)). Pixels (teacher p, student q, KL(p || q)):

    (0,0): p = (3/4, 1/4), q = (1/2, 1/2): 3/4 ln(3/2) + 1/4 ln(1/2)
           = 3/4 ln 3 - ln 2
    (0,1): teacher = student = (1, 1): 0
    (1,0): p = (1/2, 1/2), q = (3/4, 1/4): 1/2 ln(2/3) + 1/2 ln 2
           = ln 2 - 1/2 ln 3
    (1,1): p = (3/4, 1/4), q = (1/4, 3/4): 3/4 ln 3 + 1/4 ln(1/3)
           = 1/2 ln 3
    Sum over pixels = 3/4 ln 3; times tau^2 = 4 and divided by B = 1:
    3 ln 3 = 3.295837.
    """
    a = 2 * math.log(3)
    teacher = torch.tensor([[[a, 1.], [0., a]], [[0., 1.], [0., 0.]]])[None]
    student = torch.tensor([[[0., 1.], [a, 0.]], [[0., 1.], [0., a]]])[None]
    return student, teacher


def test_hand_computed_value():
    student, teacher = _example()
    loss = SoftLabelKDLoss(temperature=2)
    assert 3 * math.log(3) == pytest.approx(3.295837, abs=1e-6)
    assert loss(student, teacher).item() == pytest.approx(
        3 * math.log(3), rel=1e-6)
    built = MODELS.build(
        dict(type='SoftLabelKDLoss', temperature=2, loss_weight=0.5))
    assert built(student, teacher).item() == pytest.approx(
        1.5 * math.log(3), rel=1e-6)
    assert built.loss_name == 'loss_kd'
    assert loss(teacher, teacher).item() == pytest.approx(0, abs=1e-6)


def test_equals_torch_batchmean_times_tau_squared():
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 5, 6, 7), torch.randn(2, 5, 6, 7)
    tau = 2.0
    reference = torch.nn.KLDivLoss(reduction='batchmean')(
        F.log_softmax(student / tau, dim=1), F.softmax(teacher / tau,
                                                       dim=1)) * tau**2
    value = SoftLabelKDLoss(temperature=tau)(student, teacher)
    assert value.item() == pytest.approx(reference.item(), rel=1e-5)
    # batchmean: summed over classes and pixels, divided by B = 2 only
    per_sample = [
        SoftLabelKDLoss(temperature=tau)(s[None], t[None])
        for s, t in zip(student, teacher)
    ]
    assert value.item() == pytest.approx(
        sum(per_sample).item() / 2, rel=1e-5)


def test_gradient_reaches_only_the_student():
    torch.manual_seed(0)
    student = torch.randn(2, 3, 4, 4, requires_grad=True)
    teacher = torch.randn(2, 3, 4, 4, requires_grad=True)
    SoftLabelKDLoss()(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_mmseg_kldiv_loss_is_not_this_loss():
    """mmseg 1.2.2 ``KLDivLoss`` feeds probabilities to ``F.kl_div``: its
    per-sample 'sum' is negative for identical inputs."""
    from mmseg.models.losses.kldiv_loss import KLDivLoss
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 5)
    assert (KLDivLoss(temperature=2, reduction='sum')(x, x) < -1).all()
    assert SoftLabelKDLoss()(x, x).item() == pytest.approx(0, abs=1e-5)


def test_errors():
    with pytest.raises(ValueError, match='temperature'):
        SoftLabelKDLoss(temperature=0)
    with pytest.raises(ValueError, match=r'\(1, 2, 2, 2\).*\(1, 3, 2, 2\)'):
        SoftLabelKDLoss()(torch.zeros(1, 2, 2, 2), torch.zeros(1, 3, 2, 2))
