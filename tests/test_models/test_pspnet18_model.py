# Copyright (c) mmvseg contributors. All rights reserved.
"""The PSPNet18 model config of ETC builds, has the repository's size and
trains with its class-weighted losses on labels holding 255."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torchvision.models import resnet18

from mmvseg.models.losses import CITYSCAPES_ETC_CLASS_WEIGHTS
from mmvseg.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'pspnet18.py')


def repository_parameter_count(classes=19):
    """ResNet-18 without fc + ppm (4 x (512*128 + BN 2*128)) + cls (3x3
    1024->256 + BN + 1x1 256->19 + bias) + aux (3x3 256->256 + BN + 1x1
    256->19 + bias), as model/pspnet_18.py."""
    backbone = sum(p.numel() for n, p in resnet18().named_parameters()
                   if not n.startswith('fc.'))
    ppm = 4 * (512 * 128 + 2 * 128)
    cls = 1024 * 256 * 9 + 2 * 256 + 256 * classes + classes
    aux = 256 * 256 * 9 + 2 * 256 + 256 * classes + classes
    return backbone + ppm + cls + aux


def test_builds_with_the_repository_size_and_stride():
    cfg = Config.fromfile(CONFIG)
    assert tuple(cfg.class_weight) == CITYSCAPES_ETC_CLASS_WEIGHTS
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == \
        repository_parameter_count()
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.rand(1, 3, 97, 129))
        logits = model.decode_head(feats)
    assert logits.shape == (1, 19, 13, 17)


def test_trains_on_labels_with_the_ignore_index():
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    label = torch.randint(0, 19, (1, 64, 64))
    label[:, :8] = 255
    sample = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                         pad_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(data=label)
    losses = model.loss(torch.rand(2, 3, 64, 64), [sample, sample])
    assert set(losses) >= {'decode.loss_ce', 'aux.loss_ce'}
    assert torch.isfinite(losses['decode.loss_ce'] + losses['aux.loss_ce'])
