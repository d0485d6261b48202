# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster
from mmengine.config import Config

from mmvseg.datasets.transforms import (LoadFrameFromFile,
                                        LoadVideoAnnotations,
                                        VideoFrameSample)
from mmvseg.datasets.uavid_vdd import UAVidVDDDataset
from mmvseg.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _write_clip(write_png, root, clip, numbers, labelled, copy='data',
                label_value=None):
    """Frames ``<number:06d>.png`` (6x8) of ``clip``; labels hold train ids
    0..7 and 255 (or ``label_value`` everywhere)."""
    rng = np.random.default_rng(len(numbers))
    for number in numbers:
        name = f'{number:06d}.png'
        write_png(osp.join(root, copy, clip, 'origin', name),
                  rng.integers(0, 256, (6, 8, 3), np.uint8))
        if number in labelled:
            label = np.arange(48, dtype=np.uint8).reshape(6, 8) % 9
            label[label == 8] = 255
            if label_value is not None:
                label[:] = label_value
            write_png(osp.join(root, copy, clip, 'mask', name), label)


@pytest.fixture
def uavid_root(tmp_path, write_png):
    root = str(tmp_path)
    _write_clip(write_png, root, '0_seq1_0', range(1, 6), [5])
    _write_clip(write_png, root, '1_seq16_0', range(101, 105), [104])
    for split, clip in (('train', '0_seq1_0'), ('val', '1_seq16_0')):
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(clip + '\n')
    return root


def test_metainfo():
    meta = UAVidVDDDataset.METAINFO
    assert meta['classes'] == ('road', 'vegetation', 'tree', 'person',
                               'vehicle', 'water', 'building', 'roof')
    assert len(meta['palette']) == 8
    assert meta['palette'][5] == [0, 0, 255]  # water
    assert meta['palette'][7] == [64, 160, 120]  # roof


def test_train_and_test_items(uavid_root):
    train = UAVidVDDDataset(
        data_root=uavid_root,
        ann_file='train.txt',
        ref_offsets=[-1],
        serialize_data=False)
    (item, ) = [train.get_data_info(i) for i in range(len(train))]
    assert item['video_id'] == '0_seq1_0' and item['video_length'] == 5
    assert [f['frame_id'] for f in item['frames']] == [4, 5]
    assert item['key_frame_flags'] == [False, True]
    assert item['frames'][1]['seg_map_path'] == osp.join(
        uavid_root, 'data', '0_seq1_0', 'mask', '000005.png')
    assert item['frames'][1]['label_map'] is None
    assert item['frames'][1]['num_classes'] == 8

    val = UAVidVDDDataset(
        data_root=uavid_root,
        ann_file='val.txt',
        test_mode=True,
        serialize_data=False)
    (clip, ) = [val.get_data_info(i) for i in range(len(val))]
    assert [f['frame_id'] for f in clip['frames']] == [101, 102, 103, 104]
    assert [f['seg_map_path'] is None for f in clip['frames']] == \
        [True, True, True, False]


def _load(item):
    pipeline = [
        VideoFrameSample(),
        TransformBroadcaster(
            transforms=[LoadFrameFromFile(),
                        LoadVideoAnnotations()])
    ]
    for transform in pipeline:
        item = transform(item)
    return item


def test_labels_are_train_ids(uavid_root, write_png):
    train = UAVidVDDDataset(
        data_root=uavid_root, ann_file='train.txt', serialize_data=False)
    gt = _load(train.get_data_info(0))['gt_seg_map'][1]
    expected = np.arange(48).reshape(6, 8) % 9
    expected[expected == 8] = 255
    np.testing.assert_array_equal(gt, expected)
    # 8 is not a UAVid-VDD train id
    _write_clip(write_png, uavid_root, '0_seq1_0', [5], [5], label_value=8)
    with pytest.raises(ValueError, match='000005.png: label values'):
        _load(train.get_data_info(0))


def test_layout_errors(uavid_root, write_png):
    clip_dir = osp.join(uavid_root, 'data', '0_seq1_0')
    with open(osp.join(uavid_root, 'train.txt'), 'a') as f:
        f.write('2_seq3_0\n')
    with pytest.raises(FileNotFoundError,
                       match='2_seq3_0.*frame folder of clip'):
        UAVidVDDDataset(
            data_root=uavid_root, ann_file='train.txt', serialize_data=False)
    img = np.zeros((6, 8, 3), np.uint8)
    write_png(osp.join(clip_dir, 'origin', 'cover.png'), img)
    with pytest.raises(ValueError, match='cover.png: frame name must end'):
        UAVidVDDDataset(
            data_root=uavid_root, test_mode=True, serialize_data=False)
    os.remove(osp.join(clip_dir, 'origin', 'cover.png'))
    write_png(osp.join(clip_dir, 'origin', '5.png'), img)
    with pytest.raises(ValueError, match='frame number 5 also used'):
        UAVidVDDDataset(
            data_root=uavid_root, test_mode=True, serialize_data=False)
    os.remove(osp.join(clip_dir, 'origin', '5.png'))
    write_png(osp.join(clip_dir, 'mask', '000009.png'), img[..., 0])
    with pytest.raises(FileNotFoundError, match='000009.png: frame not found'):
        UAVidVDDDataset(
            data_root=uavid_root, test_mode=True, serialize_data=False)
    os.remove(osp.join(clip_dir, 'mask', '000009.png'))
    os.makedirs(osp.join(uavid_root, 'data', '5_seq9_0', 'origin'))
    with pytest.raises(ValueError, match='5_seq9_0.*has no frames'):
        UAVidVDDDataset(
            data_root=uavid_root, test_mode=True, serialize_data=False)


def test_config_pipelines(uavid_root, write_png):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'uavid_vdd.py'))
    assert cfg.val_evaluator[1]['protocol'] == 'ssp'
    # the configs read the converter's 736x1280 copy
    assert cfg.test_dataloader.dataset.data_prefix == dict(
        img_path='data_1280x736', seg_map_path='data_1280x736')
    _write_clip(write_png, uavid_root, '0_seq1_0', range(1, 6), [5],
                copy='data_1280x736')
    _write_clip(write_png, uavid_root, '1_seq16_0', range(101, 105), [104],
                copy='data_1280x736')
    cfg.test_dataloader.dataset.data_root = uavid_root
    val = DATASETS.build(cfg.test_dataloader.dataset)
    sample = val[0]
    assert tuple(sample['inputs'].shape) == (4, 3, 6, 8)  # no resize, no crop
    frames = sample['data_samples'].video_data_samples
    assert ['gt_sem_seg' in f for f in frames] == [False, False, False, True]

    cfg.train_dataloader.dataset.data_root = uavid_root
    train = DATASETS.build(cfg.train_dataloader.dataset)
    sample = train[0]
    assert tuple(sample['inputs'].shape) == (2, 3, 736, 736)
    gt = sample['data_samples'].video_data_samples[1].gt_sem_seg.data
    assert tuple(gt.shape) == (1, 736, 736)
    assert set(np.unique(gt.numpy())) <= set(range(8)) | {255}
    # identity with probability 1/4, each of the 7 scales 3/28
    scales = [tuple(s) for s in cfg.train_scales]
    assert len(scales) == 28 and scales.count((1280, 736)) == 7
    assert scales.count((1408, 809)) == 3 and scales.count((1792, 1030)) == 3
