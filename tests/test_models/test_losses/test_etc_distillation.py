# Copyright (c) mmvseg contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmvseg.models.losses import (CITYSCAPES_ETC_CLASS_WEIGHTS,
                                  ConvLSTMDistillationLoss,
                                  PairwiseSimilarityDistillationLoss,
                                  PixelwiseKDLoss,
                                  SpatialSimilarityDistillationLoss,
                                  pairwise_similarity)
from mmvseg.models.losses.etc_distillation import ConvLSTMCell
from mmvseg.registry import MODELS

R2 = 1 / math.sqrt(2)


def _spec_pair():
    """Cos_Attn_no vector of the ETC spec (section 3.3): C = 2, N = 2;
    x_0 = (1, 1), x_1 = (0, 3), o_0 = (2, 0), o_1 = (1, 1)."""
    x = torch.tensor([[1., 0.], [1., 3.]]).reshape(1, 2, 1, 2)
    other = torch.tensor([[2., 1.], [0., 1.]]).reshape(1, 2, 1, 2)
    return x, other


@pytest.mark.parametrize('normalizer, expected', [
    ('repo', [[R2, 1 / 3], [0., R2]]),
    ('cosine', [[R2, 1.], [0., R2]]),
])
def test_cos_attn_no_vector(normalizer, expected):
    x, other = _spec_pair()
    graph = pairwise_similarity(x, other, normalizer)
    assert graph.shape == (1, 2, 2)
    assert torch.allclose(graph[0], torch.tensor(expected), atol=1e-6)
    # teacher pair (x, x): its graph is the cosine self-similarity of x
    teacher = torch.tensor([[1., R2], [R2, 1.]])
    loss = PairwiseSimilarityDistillationLoss(normalizer=normalizer)
    value = loss(x, other, x, x)
    want = ((torch.tensor(expected) - teacher)**2).mean()
    assert value.item() == pytest.approx(want.item(), rel=1e-6)


def test_pairwise_similarity_errors():
    x, other = _spec_pair()
    with pytest.raises(ValueError, match='normalizer'):
        pairwise_similarity(x, other, 'dot')
    with pytest.raises(ValueError, match=r'\(1, 2, 1, 3\)'):
        pairwise_similarity(x, torch.ones(1, 2, 1, 3))
    with pytest.raises(ValueError, match='normalizer'):
        PairwiseSimilarityDistillationLoss(normalizer='dot')
    loss = PairwiseSimilarityDistillationLoss()
    with pytest.raises(ValueError, match=r'\(1, 2, 2, 1\)'):
        loss(x, other, torch.ones(1, 2, 2, 1), torch.ones(1, 2, 2, 1))


def _kl_uniform_vs(z: float) -> float:
    """KL((1/2, 1/2) || softmax(z, 0)) summed over the two classes."""
    p = 1 / (1 + math.exp(-z))
    return math.log(0.5) - 0.5 * math.log(p * (1 - p))


@pytest.mark.parametrize('tau', [1.0, 2.0])
def test_kd_hand_computed_with_resize(tau):
    # student class 0 = [0, 2] on 1x2 -> [0, 1, 2] on the teacher's 1x3
    # (bilinear, align_corners=True); class 1 = 0; teacher uniform.
    student = torch.zeros(1, 2, 1, 2)
    student[0, 0, 0, 1] = 2
    teacher = torch.zeros(1, 2, 1, 3)
    expected = sum(_kl_uniform_vs(z / tau) for z in (0, 1, 2)) / 6
    loss = PixelwiseKDLoss(temperature=tau)
    assert loss(student, teacher).item() == pytest.approx(expected, rel=1e-6)
    assert loss.loss_name == 'loss_kd'
    assert PixelwiseKDLoss(loss_weight=0.5)(student, teacher).item() == \
        pytest.approx(0.5 * sum(_kl_uniform_vs(z) for z in (0, 1, 2)) / 6)


def test_kd_zero_when_equal_and_grad_only_to_student():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 3, 4)
    assert PixelwiseKDLoss()(logits, logits).abs().item() < 1e-7
    student = torch.randn(2, 5, 3, 4, requires_grad=True)
    PixelwiseKDLoss()(student, logits).backward()
    assert student.grad.abs().sum() > 0


def test_kd_errors():
    with pytest.raises(ValueError, match='temperature'):
        PixelwiseKDLoss(temperature=0)
    with pytest.raises(ValueError, match=r'\(1, 3, 2, 2\)'):
        PixelwiseKDLoss()(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match='B, K, H, W'):
        PixelwiseKDLoss()(torch.zeros(3, 2, 2), torch.zeros(1, 3, 2, 2))


def _blocks(vectors):
    """(1, C, 2, 2 * len(vectors)) map made of constant 2x2 blocks."""
    cols = [torch.tensor(v).reshape(-1, 1, 1).expand(-1, 2, 2)
            for v in vectors]
    return torch.cat(cols, dim=2).unsqueeze(0)


def test_sd_self_hand_made():
    # pooled student vectors (1, 0), (1, 1): G^S off-diagonal 1/sqrt(2);
    # pooled teacher vectors (1, 0, 0), (0, 1, 0): G^T = I -> MSE = 1/4
    student = _blocks([(1., 0.), (1., 1.)])
    teacher = _blocks([(1., 0., 0.), (0., 1., 0.)])
    loss = SpatialSimilarityDistillationLoss()
    assert loss([student], [teacher]).item() == pytest.approx(0.25)
    # extra frames weigh 0.4: one equal pair (0), one like the first
    value = loss([student, teacher, student], [teacher, teacher, teacher])
    assert value.item() == pytest.approx(0.25 + 0.4 * 0.25)
    assert loss.loss_name == 'loss_sd_self'


def test_sd_self_errors():
    loss = SpatialSimilarityDistillationLoss()
    with pytest.raises(ValueError, match='frames'):
        loss([torch.ones(1, 2, 4, 4)], [])
    with pytest.raises(ValueError, match=r'\(1, 2, 6, 4\)'):
        loss([torch.ones(1, 2, 4, 4)], [torch.ones(1, 2, 6, 4)])


def test_convlstm_cell_hand_made():
    cell = ConvLSTMCell(1, 4, 3)
    torch.nn.init.zeros_(cell.gates.weight)
    torch.nn.init.zeros_(cell.gates.bias)
    x = torch.randn(2, 1, 3, 5)
    hidden, cell_state = cell(x)  # gates 1/2, candidate 0: c = 0, h = 0
    assert hidden.shape == cell_state.shape == (2, 4, 3, 5)
    assert hidden.abs().max() == 0 and cell_state.abs().max() == 0
    prev = torch.ones(2, 4, 3, 5)
    hidden, cell_state = cell(x, (prev, prev))  # c = c_prev / 2
    assert torch.allclose(cell_state, torch.full_like(prev, 0.5))
    assert torch.allclose(hidden, torch.full_like(prev, 0.5 * math.tanh(0.5)))


def test_convlstm_loss():
    torch.manual_seed(0)
    loss = ConvLSTMDistillationLoss()
    student = [torch.randn(2, 6, 32, 48, requires_grad=True)
               for _ in range(3)]
    teacher = [torch.randn(2, 10, 32, 48) for _ in range(3)]
    same = loss(student, [s.detach() for s in student])
    assert same.item() == 0
    value = loss(student, teacher)
    assert value.dim() == 0 and value.item() > 0
    value.backward()
    assert all(s.grad.abs().sum() > 0 for s in student)
    assert loss.lstm.gates.weight.grad.abs().sum() > 0
    # 32x48 pooled by 16 -> 2x3 = 6 positions: the state is (2, 4, 6, 6)
    hidden, cell_state = loss._final_state(teacher)
    assert hidden.shape == cell_state.shape == (2, 4, 6, 6)
    assert loss.loss_name == 'loss_lstm'
    with pytest.raises(ValueError, match='frames'):
        loss(student, teacher[:2])
    with pytest.raises(ValueError, match=r'\(2, 10, 16, 48\)'):
        loss(student[:1], [torch.randn(2, 10, 16, 48)])


@pytest.mark.parametrize('cfg, cls', [
    (dict(type='PixelwiseKDLoss', temperature=2.0), PixelwiseKDLoss),
    (dict(type='PairwiseSimilarityDistillationLoss', normalizer='cosine'),
     PairwiseSimilarityDistillationLoss),
    (dict(type='SpatialSimilarityDistillationLoss'),
     SpatialSimilarityDistillationLoss),
    (dict(type='ConvLSTMDistillationLoss', loss_weight=0.5),
     ConvLSTMDistillationLoss),
])
def test_build_from_registry(cfg, cls):
    loss = MODELS.build(cfg)
    assert type(loss) is cls
    assert loss.loss_name.startswith('loss_')


def test_class_weights_match_mmseg_weighted_mean():
    assert isinstance(CITYSCAPES_ETC_CLASS_WEIGHTS, tuple)
    assert len(CITYSCAPES_ETC_CLASS_WEIGHTS) == 19
    assert CITYSCAPES_ETC_CLASS_WEIGHTS[0] == 0.8373
    assert CITYSCAPES_ETC_CLASS_WEIGHTS[-1] == 1.0507
    from mmseg.models.losses import CrossEntropyLoss
    torch.manual_seed(0)
    logits = torch.randn(2, 19, 3, 4)
    labels = torch.randint(0, 19, (2, 3, 4))
    ce = CrossEntropyLoss(
        class_weight=list(CITYSCAPES_ETC_CLASS_WEIGHTS), avg_non_ignore=True)
    expected = F.cross_entropy(
        logits, labels, weight=torch.tensor(CITYSCAPES_ETC_CLASS_WEIGHTS))
    assert ce(logits, labels).item() == pytest.approx(expected.item(),
                                                      rel=1e-5)
