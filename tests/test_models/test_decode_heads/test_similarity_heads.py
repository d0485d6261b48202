# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch

from mmvseg.registry import MODELS


def test_conv_head_matches_repo_size_and_range():
    head = MODELS.build(dict(type='ConvSimilarityHead', in_channels=96))
    assert sum(p.numel() for p in head.parameters()) == 207841
    alpha = head(torch.randn(2, 96, 6, 8), torch.randn(2, 96, 6, 8))
    assert alpha.shape == (2, 1, 6, 8)
    assert torch.all((alpha > 0) & (alpha < 1))


def test_conv_head_order_of_inputs_matters():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='ConvSimilarityHead', in_channels=4, channels=8)).eval()
    a, b = torch.randn(1, 4, 5, 5), torch.randn(1, 4, 5, 5)
    assert not torch.allclose(head(a, b), head(b, a))


def test_cosine_head_values():
    head = MODELS.build(dict(type='CosineSimilarityHead'))
    prev = torch.tensor([1., 0.]).reshape(1, 2, 1, 1).repeat(1, 1, 1, 4)
    cur = torch.tensor([[1., 1., 0., -1.], [0., 1., 1., 0.]]).reshape(
        1, 2, 1, 4)
    # cos = 1, 1/sqrt(2), 0, -1 -> clamp, ^4 -> 1, 0.25, 0, 0 -> min 0.95
    expected = torch.tensor([0.95, 0.25, 0., 0.]).reshape(1, 1, 1, 4)
    assert torch.allclose(head(prev, cur), expected, atol=1e-6)


def test_constant_head():
    head = MODELS.build(dict(type='ConstantSimilarityHead', alpha=0.25))
    out = head(torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5))
    assert out.shape == (2, 1, 4, 5) and torch.all(out == 0.25)
    with pytest.raises(ValueError, match='alpha'):
        MODELS.build(dict(type='ConstantSimilarityHead', alpha=1.5))
