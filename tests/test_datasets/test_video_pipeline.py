# Copyright (c) mmvseg contributors. All rights reserved.
"""The whole data flow from the CamVid config to the preprocessor."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from video_pipelines import train_pipeline

from mmvseg.models.segmentors.base_video import BaseVideoSegmentor
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSegDataSample
from mmvseg.utils.demo_data import generate_demo_camvid

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    '_base_', 'datasets', 'camvid_video.py')


def _loader(cfg, data_root, batch_size):
    cfg = cfg.copy()
    cfg.update(num_workers=0, persistent_workers=False, batch_size=batch_size)
    cfg.dataset.data_root = data_root
    return Runner.build_dataloader(cfg, seed=0)


def test_config_pipeline_to_preprocessor(tmp_path):
    data_root = str(tmp_path / 'demo')
    generate_demo_camvid(data_root)
    cfg = Config.fromfile(CONFIG)
    preprocessor = MODELS.build(
        dict(
            type='VideoSegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            size=cfg.crop_size,
            test_cfg=dict(size_divisor=32)))

    train_loader = _loader(cfg.train_dataloader, data_root, 2)
    assert len(train_loader.dataset) == 30
    batch = next(iter(train_loader))
    for clip in batch['inputs']:
        assert clip.dtype == torch.uint8 and clip.shape[:2] == (2, 3)
        assert clip.shape[2] <= 360 and clip.shape[3] <= 480
    out = preprocessor(batch, training=True)
    assert out['inputs'].shape == (2, 2, 3, 360, 480)
    for sample in out['data_samples']:
        assert isinstance(sample, VideoSegDataSample)
        assert sample.key_frames_inds == [1]
        assert sample.ref_frames_inds == [0]
        key, ref = sample[1], sample[0]
        assert key.gt_sem_seg.shape == (360, 480)
        assert key.video_id == ref.video_id
        assert key.flip == ref.flip and key.img_shape == ref.img_shape
        assert key.frame_id - ref.frame_id in (0, 1, 2)  # step 1 or 2
        values = set(key.gt_sem_seg.data.unique().tolist())
        assert values <= set(range(11)) | {255}
        height, width = key.img_shape
        assert (key.gt_sem_seg.data[:, height:] == 255).all()
        assert (key.gt_sem_seg.data[:, :, width:] == 255).all()

    val_loader = _loader(cfg.val_dataloader, data_root, 1)
    assert len(val_loader.dataset) == 1
    batch = next(iter(val_loader))
    out = preprocessor(batch, training=False)
    assert out['inputs'].shape == (1, 16, 3, 384, 480)
    (sample, ) = out['data_samples']
    assert sample.key_frames_inds == list(range(16))
    assert sample.ref_frames_inds == []
    assert [f.frame_id for f in sample.video_data_samples] == list(range(16))
    for frame in sample.video_data_samples:
        assert frame.gt_sem_seg.shape == frame.ori_shape == (96, 128)
        assert tuple(frame.img_shape) == (360, 480)


def test_unlabelled_references_through_train_pipeline(make_videos,
                                                      build_dataset):
    """Key frames with unlabelled references, before and after the key."""
    root = make_videos({'v': (6, [0, 3])}, height=16, width=24)
    pipeline = train_pipeline(
        dict(type='RandomResize', scale=(24, 16), ratio_range=(0.75, 1.5),
             keep_ratio=True),
        dict(type='RandomCrop', crop_size=(12, 16)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='VideoPhotoMetricDistortion'))
    dataset = build_dataset(root, ref_offsets=[-2, -1, 1], pipeline=pipeline)
    assert len(dataset) == 2
    preprocessor = MODELS.build(
        dict(type='VideoSegDataPreProcessor', size=(12, 16)))
    for seed in range(3):
        np.random.seed(seed)
        batch = pseudo_collate([dataset[0], dataset[1]])
        out = preprocessor(batch, training=True)
        assert out['inputs'].shape == (2, 4, 3, 12, 16)
        first, second = out['data_samples']
        # key 0: refs clamped to frame 0 (labelled) and frame 1 (unlabelled)
        assert [f.frame_index for f in first.video_data_samples] == [
            0, 0, 0, 1]
        assert ['gt_sem_seg' in f for f in first.video_data_samples] == [
            True, True, True, False]
        assert first.key_frames_inds == [2]
        assert [f.frame_index for f in second.video_data_samples] == [
            1, 2, 3, 4]
        assert ['gt_sem_seg' in f for f in second.video_data_samples] == [
            False, False, True, False]
        for sample in (first, second):
            assert len({f.flip for f in sample.video_data_samples}) == 1


def test_random_references_keep_a_batch_consistent(make_videos,
                                                   build_dataset):
    """ETC-style items: the key frame first whatever side the draw falls."""
    root = make_videos({'v': (8, [0, 4, 7])}, height=16, width=24)
    pipeline = train_pipeline(
        dict(type='RandomCrop', crop_size=(12, 16)),
        dict(type='RandomFlip', prob=0.5))
    dataset = build_dataset(
        root,
        ref_offsets=dict(choices=[3, 2, 1, -1, -2], num=1),
        pipeline=pipeline)
    preprocessor = MODELS.build(
        dict(type='VideoSegDataPreProcessor', size=(12, 16)))
    np.random.seed(0)
    steps = set()
    for _ in range(10):
        batch = pseudo_collate([dataset[i] for i in range(3)])
        out = preprocessor(batch, training=True)
        assert out['inputs'].shape == (3, 2, 3, 12, 16)
        samples = out['data_samples']
        assert BaseVideoSegmentor.key_and_ref_index(samples) == ([0], [1])
        for sample, key_index in zip(samples, (0, 4, 7)):
            key, ref = sample.video_data_samples
            assert key.frame_index == key_index and 'gt_sem_seg' in key
            assert key.flip == ref.flip
            steps.add(ref.frame_index - key.frame_index)
    assert steps == {-2, -1, 0, 1, 2, 3}  # 0: clamped at a video end
