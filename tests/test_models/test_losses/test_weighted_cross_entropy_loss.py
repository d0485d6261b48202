# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss

from mmvseg.models.losses import (CITYSCAPES_ETC_CLASS_WEIGHTS,
                                  WeightedCrossEntropyLoss)
from mmvseg.registry import MODELS


def logits_and_labels(num_classes=19, ignore=255):
    torch.manual_seed(0)
    logits = torch.randn(2, num_classes, 5, 7)
    labels = torch.randint(0, num_classes, (2, 5, 7))
    labels[0, :2] = ignore
    labels[1, :, -1] = ignore
    return logits, labels


def test_equals_torch_weighted_mean_with_ignored_pixels():
    logits, labels = logits_and_labels()
    weights = list(CITYSCAPES_ETC_CLASS_WEIGHTS)
    loss = MODELS.build(
        dict(type='WeightedCrossEntropyLoss', class_weight=weights,
             loss_weight=0.4))
    expected = 0.4 * F.cross_entropy(
        logits, labels, weight=torch.tensor(weights), ignore_index=255)
    torch.testing.assert_close(loss(logits, labels, ignore_index=255),
                               expected)
    # mmseg 1.2.2 itself fails on the ignore index with class weights
    with pytest.raises(IndexError):
        CrossEntropyLoss(class_weight=weights)(logits, labels,
                                               ignore_index=255)


def test_by_hand_on_two_pixels():
    """Pixel 1: class 0 (weight 2), CE ln 2; pixel 2 ignored:
    (2 ln 2) / 2 = ln 2."""
    logits = torch.zeros(1, 2, 1, 2)
    labels = torch.tensor([[[0, 255]]])
    loss = WeightedCrossEntropyLoss(class_weight=[2.0, 1.0])
    assert loss(logits, labels, ignore_index=255).item() == pytest.approx(
        0.6931472, rel=1e-6)


def test_without_class_weights_it_is_mmseg_loss():
    logits, labels = logits_and_labels()
    for kwargs in (dict(), dict(avg_non_ignore=True)):
        torch.testing.assert_close(
            WeightedCrossEntropyLoss(**kwargs)(logits, labels,
                                               ignore_index=255),
            CrossEntropyLoss(**kwargs)(logits, labels, ignore_index=255))


def test_sigmoid_with_class_weights_is_refused():
    with pytest.raises(ValueError, match='softmax cross-entropy only'):
        WeightedCrossEntropyLoss(use_sigmoid=True, class_weight=[1.0, 2.0])
