# Copyright (c) mmvseg contributors. All rights reserved.
"""The ETC Cityscapes config trains 2 iterations and tests on a generated
Cityscapes-Seq layout, with each loss term on and off."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from script_loader import REPO_ROOT

from mmvseg.registry import MODELS

CONFIG = 'configs/etc/etc_pspnet18_4xb2-74k_cityscapes-769x769.py'
H, W = 64, 96
#: split -> snippets (annotated frame 19 labelled)
SNIPPETS = {'train': ['aachen_000000_000019', 'aachen_000001_000019'],
            'val': ['frankfurt_000000_000294']}


def write_layout(root):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (H, W + 60, 3), np.uint8)
    for split, names in SNIPPETS.items():
        for name in names:
            city, seq, frame = name.split('_')
            first = int(frame) - 19
            for k in range(30):  # a texture panning 2 px a frame
                stem = f'{city}_{seq}_{first + k:06d}'
                path = osp.join(root, 'leftImg8bit_sequence', split, city,
                                f'{stem}_leftImg8bit.png')
                cv2.imwrite(_mkdir(path), base[:, 2 * k:2 * k + W])
            label = rng.integers(0, 19, (H, W), np.uint8)
            label[:4] = 255
            path = osp.join(root, 'gtFine', split, city,
                            f'{name}_gtFine_labelTrainIds.png')
            cv2.imwrite(_mkdir(path), label)


def _mkdir(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    return path


def small_cfg(root, work_dir, **model):
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    cfg.train_dataloader.dataset.data_root = root
    cfg.val_dataloader.dataset.data_root = root
    cfg.test_dataloader = cfg.val_dataloader
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        for t in cfg[loader].dataset.pipeline[1].transforms:
            if t.type in ('RandomResize', 'Resize'):
                t.scale = (W, H)
            if t.type == 'RandomCrop':
                t.crop_size = (48, 48)
    cfg.train_dataloader.batch_size = 2  # BatchNorm after 1x1 pooling
    cfg.model.data_preprocessor.size = (48, 48)
    cfg.model.update(model)
    cfg.train_cfg.max_iters = 2
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.parametrize('terms', ['tl', 'none', 'tl_kd_sd'])
def test_trains_and_tests(tmp_path, terms):
    root = str(tmp_path / 'cityscapes_seq')
    write_layout(root)
    model = {}
    if terms == 'none':
        model = dict(loss_tl=None)
    elif terms == 'tl_kd_sd':
        image_model = Config.fromfile(
            osp.join(REPO_ROOT, CONFIG)).model.image_model
        torch.manual_seed(1)
        teacher = str(tmp_path / 'teacher.pth')
        torch.save(dict(state_dict=MODELS.build(image_model).state_dict()),
                   teacher)
        model = dict(
            teacher=dict(model=image_model, checkpoint=teacher),
            loss_kd=dict(type='PixelwiseKDLoss'),
            loss_sd=dict(type='PairwiseSimilarityDistillationLoss'))
    runner = Runner.from_cfg(small_cfg(root, tmp_path / 'work', **model))
    runner.train()
    assert runner.iter == 2
    names = set(runner.message_hub.log_scalars)
    expected = {'tl': {'train/loss_tl'}, 'none': set(),
                'tl_kd_sd': {'train/loss_tl', 'train/loss_kd',
                             'train/loss_sd'}}[terms]
    assert expected <= names
    assert not ({'train/loss_tl', 'train/loss_kd', 'train/loss_sd'} -
                expected) & names
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100 and 0 <= metrics['tc_ssp/TC'] <= 100
