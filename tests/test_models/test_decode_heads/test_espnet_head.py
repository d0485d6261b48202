# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvseg.registry import MODELS


def _features(batch=2, height=32, width=48):
    return [
        torch.randn(batch, 19, height // 2, width // 2),
        torch.randn(batch, 131, height // 4, width // 4),
        torch.randn(batch, 256, height // 8, width // 8),
    ]


def _head(**kwargs):
    cfg = dict(type='ESPNetHead', channels=12, num_classes=12)
    cfg.update(kwargs)
    return MODELS.build(cfg)


@pytest.mark.parametrize('channels, num_classes', [(12, 12), (8, 5)])
def test_head_outputs_logits_at_input_resolution(channels, num_classes):
    head = _head(channels=channels, num_classes=num_classes).eval()
    with torch.no_grad():
        logits = head(_features())
    assert logits.shape == (2, num_classes, 32, 48)
    assert isinstance(head.conv_seg, nn.ConvTranspose2d)
    assert head.dropout is None


def test_head_loss_reaches_every_parameter():
    head = _head()
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 12, (1, 32, 48)))
        sample.set_metainfo(dict(img_shape=(32, 48)))
        samples.append(sample)
    losses = head.loss(_features(), samples, train_cfg=dict())
    losses['loss_ce'].backward()
    unused = [n for n, p in head.named_parameters() if p.grad is None]
    assert unused == []


def test_head_rejects_levels_that_do_not_halve():
    feats = _features()
    feats[2] = torch.randn(2, 256, 5, 6)
    with pytest.raises(ValueError, match='half the size'):
        _head()(feats)


def test_head_rejects_other_input_transforms():
    with pytest.raises(ValueError, match='multiple_select'):
        _head(input_transform='resize_concat')


def test_cityscapes_variant_fuses_the_16_channel_level1_conv():
    # test/Model.py: the last CBR takes the raw level-1 conv (16 channels,
    # the encoder's fourth output with out_level1_conv=True)
    head = _head(
        channels=20,
        num_classes=20,
        in_channels=(16, 131, 256),
        in_index=(3, 1, 2)).eval()
    assert head.level1_fuse.conv.weight.shape == (20, 36, 3, 3)
    feats = _features()
    feats.append(torch.randn(2, 16, 16, 24))
    with torch.no_grad():
        logits = head(feats)
    assert logits.shape == (2, 20, 32, 48)
