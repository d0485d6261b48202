# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmvseg.datasets.aerial_video import parse_frame_number
from mmvseg.datasets.ruralscapes import RuralScapesDataset
from mmvseg.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _write_clip(write_png, root, clip, video, numbers, labelled,
                copy='data'):
    """Frames ``segfull_<video>_<number:06d>.png`` (6x8); labels hold train
    ids 0..11 and 255."""
    rng = np.random.default_rng(len(numbers))
    for number in numbers:
        name = f'segfull_{video}_{number:06d}.png'
        write_png(osp.join(root, copy, clip, 'origin', name),
                  rng.integers(0, 256, (6, 8, 3), np.uint8))
        if number in labelled:
            label = np.arange(48, dtype=np.uint8).reshape(6, 8) % 13
            label[label == 12] = 255
            write_png(osp.join(root, copy, clip, 'mask', name), label)


@pytest.fixture
def rural_root(tmp_path, write_png):
    root = str(tmp_path)
    # labelled first frame (5) and a second labelled frame (20)
    _write_clip(write_png, root, '0_DJI_0043_0', 'DJI_0043',
                range(5, 30, 5), [5, 20])
    _write_clip(write_png, root, '1_DJI_0051_0', 'DJI_0051',
                range(255, 275, 5), [260])
    os.makedirs(osp.join(root, 'data', '.work', 'x'))  # hidden: not a clip
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('0_DJI_0043_0\n')
    return root


def test_metainfo():
    meta = RuralScapesDataset.METAINFO
    assert meta['classes'] == ('residential', 'land', 'forest', 'sky',
                               'fence', 'road', 'hill', 'church', 'car',
                               'person', 'haystack', 'water')
    assert len(meta['palette']) == 12
    assert meta['palette'][0] == [255, 255, 0]
    assert meta['palette'][11] == [0, 0, 255]


def test_frame_numbers():
    assert parse_frame_number('a/segfull_DJI_0043_000125.png') == 125
    assert parse_frame_number('000100.png') == 100
    with pytest.raises(ValueError, match='cover_a.png: frame name'):
        parse_frame_number('x/cover_a.png')


def test_several_labels_and_clamped_first_frame(rural_root):
    train = RuralScapesDataset(
        data_root=rural_root,
        ann_file='train.txt',
        ref_offsets=[-1],
        serialize_data=False)
    items = [train.get_data_info(i) for i in range(len(train))]
    # the labelled first frame is its own reference (clamped)
    assert [[f['frame_id'] for f in it['frames']] for it in items] == \
        [[5, 5], [15, 20]]
    assert items[0]['frames'][1]['num_classes'] == 12


def test_all_clips_without_list(rural_root):
    val = RuralScapesDataset(
        data_root=rural_root, test_mode=True, serialize_data=False)
    clips = [val.get_data_info(i) for i in range(len(val))]
    assert [c['video_id'] for c in clips] == ['0_DJI_0043_0', '1_DJI_0051_0']
    assert [f['frame_id'] for f in clips[1]['frames']] == \
        [255, 260, 265, 270]
    assert [f['seg_map_path'] is not None for f in clips[1]['frames']] == \
        [False, True, False, False]


def test_missing_clip_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='data: clip folder not found'):
        RuralScapesDataset(
            data_root=str(tmp_path), test_mode=True, serialize_data=False)


def test_config_test_pipeline(rural_root, write_png):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                 'ruralscapes.py'))
    assert cfg.train_dataloader.dataset.type == 'RuralScapesDataset'
    assert cfg.val_dataloader.dataset.clip_len is None
    _write_clip(write_png, rural_root, '1_DJI_0051_0', 'DJI_0051',
                range(255, 275, 5), [260], copy='data_1280x736')
    with open(osp.join(rural_root, 'val.txt'), 'w') as f:
        f.write('1_DJI_0051_0\n')
    cfg.test_dataloader.dataset.data_root = rural_root
    sample = DATASETS.build(cfg.test_dataloader.dataset)[0]
    assert tuple(sample['inputs'].shape) == (4, 3, 6, 8)
    frames = sample['data_samples'].video_data_samples
    gt = frames[1].gt_sem_seg.data[0].numpy()
    expected = np.arange(48).reshape(6, 8) % 13
    expected[expected == 12] = 255
    np.testing.assert_array_equal(gt, expected)
