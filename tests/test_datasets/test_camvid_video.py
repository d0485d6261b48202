# Copyright (c) mmvseg contributors. All rights reserved.
import hashlib
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster

from mmvseg.datasets import (CamVidVideoDataset, LoadFrameFromFile,
                             LoadVideoAnnotations, VideoFrameSample,
                             parse_camvid_name)
from mmvseg.utils.demo_data import generate_demo_camvid


def _write_camvid(root, write_png, names, split='train', labelled=None):
    """Write 6x8 frames ``<split>/<name>`` and a list file; return lines."""
    lines = []
    rng = np.random.default_rng(0)
    for name in names:
        write_png(osp.join(root, split, name),
                  rng.integers(0, 256, (6, 8, 3), np.uint8))
        line = f'{split}/{name}'
        if labelled is None or name in labelled:
            label = rng.integers(0, 12, (6, 8), np.uint8)
            label[0, 0] = 11
            write_png(osp.join(root, split + 'annot', name), label)
            line += f' {split}annot/{name}'
        lines.append(line)
    with open(osp.join(root, f'{split}.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return lines


def test_parse_camvid_name():
    assert parse_camvid_name('train/0001TP_006690.png') == ('0001TP', 6690)
    assert parse_camvid_name('0006R0_f00930.png') == ('0006R0', 930)
    assert parse_camvid_name('x/Seq05VD_f05100.png') == ('Seq05VD', 5100)
    assert parse_camvid_name('Demo_A_000012.png') == ('Demo_A', 12)
    with pytest.raises(ValueError, match='nonumber.png'):
        parse_camvid_name('train/nonumber.png')


def test_videos_from_list_file(tmp_path, write_png):
    root = str(tmp_path)
    _write_camvid(
        root,
        write_png, [
            '0006R0_f00960.png', '0001TP_006720.png', '0006R0_f00930.png',
            '0001TP_006690.png', '0006R0_f00990.png'
        ],
        labelled={'0006R0_f00960.png', '0001TP_006690.png',
                  '0006R0_f00990.png', '0001TP_006720.png'})
    dataset = CamVidVideoDataset(
        data_root=root, ann_file='train.txt', ref_offsets=[-1])
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(it['video_id'], [f['frame_id'] for f in it['frames']])
            for it in items] == [('0001TP', [6690, 6690]),
                                 ('0001TP', [6690, 6720]),
                                 ('0006R0', [930, 960]),
                                 ('0006R0', [960, 990])]
    assert items[2]['frames'][0]['seg_map_path'] is None  # f00930
    assert items[2]['video_length'] == 3
    frame = items[0]['frames'][1]
    assert frame['img_path'] == osp.join(root, 'train', '0001TP_006690.png')
    assert frame['seg_map_path'] == osp.join(root, 'trainannot',
                                             '0001TP_006690.png')
    assert frame['label_map'] == {11: 255}
    assert frame['num_classes'] == 11
    assert dataset.metainfo['classes'][10] == 'Bicyclist'
    assert dataset.metainfo['palette'][4] == [60, 40, 222]


def test_videos_from_folders(tmp_path, write_png):
    root = str(tmp_path)
    _write_camvid(root, write_png, ['S_000002.png', 'S_000001.png'],
                  split='val', labelled={'S_000001.png'})
    dataset = CamVidVideoDataset(
        data_root=root,
        data_prefix=dict(img_path='val', seg_map_path='valannot'),
        test_mode=True)
    (item, ) = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [f['frame_id'] for f in item['frames']] == [1, 2]
    assert [f['seg_map_path'] is None for f in item['frames']] == [False, True]


def test_void_label_becomes_ignore(tmp_path, write_png):
    root = str(tmp_path)
    _write_camvid(root, write_png, ['S_000001.png'])
    dataset = CamVidVideoDataset(
        data_root=root, ann_file='train.txt', ref_offsets=[])
    pipeline = [
        VideoFrameSample(),
        TransformBroadcaster(
            transforms=[LoadFrameFromFile(),
                        LoadVideoAnnotations()])
    ]
    results = dataset.get_data_info(0)
    for transform in pipeline:
        results = transform(results)
    raw = cv2.imread(results['seg_map_path'][0], -1)
    gt = results['gt_seg_map'][0]
    assert (gt[raw == 11] == 255).all() and (raw == 11).any()
    assert (gt[raw != 11] == raw[raw != 11]).all()


def test_class_subset_keeps_void_mapping(tmp_path, write_png):
    root = str(tmp_path)
    _write_camvid(root, write_png, ['S_000001.png'])
    dataset = CamVidVideoDataset(
        data_root=root,
        ann_file='train.txt',
        metainfo=dict(classes=('Road', 'Car')))
    label_map = dataset.get_data_info(0)['frames'][0]['label_map']
    assert label_map[3] == 0 and label_map[8] == 1
    assert label_map[11] == 255 and label_map[0] == 255
    assert dataset.metainfo['palette'] == [[128, 64, 128], [64, 0, 128]]


def test_list_file_errors(tmp_path, write_png):
    root = str(tmp_path)
    lines = _write_camvid(root, write_png, ['S_000001.png'])
    with open(osp.join(root, 'train.txt'), 'a') as f:
        f.write('train/S_000002.png trainannot/S_000002.png\n')
    with pytest.raises(FileNotFoundError, match='S_000002.png'):
        CamVidVideoDataset(data_root=root, ann_file='train.txt')
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write(lines[0] + ' extra\n')
    with pytest.raises(ValueError, match='line 1'):
        CamVidVideoDataset(data_root=root, ann_file='train.txt')
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write(f'{lines[0]}\n{lines[0]}\n')
    with pytest.raises(ValueError, match='appears twice'):
        CamVidVideoDataset(data_root=root, ann_file='train.txt')


def _digest(root):
    digest = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for file in sorted(files):
            digest.update(file.encode())
            with open(osp.join(dirpath, file), 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


def test_demo_data_is_deterministic_and_loads(tmp_path):
    first, second = str(tmp_path / 'a'), str(tmp_path / 'b')
    written = generate_demo_camvid(first)
    generate_demo_camvid(second)
    assert _digest(first) == _digest(second)
    generate_demo_camvid(first)  # idempotent: overwrites with equal bytes
    assert _digest(first) == _digest(second)

    train = CamVidVideoDataset(data_root=first, ann_file='train.txt')
    assert len(train) == len(written['train']) == 30
    assert {train.get_data_info(i)['video_id']
            for i in range(len(train))} == {'DemoA', 'DemoB', 'DemoC'}
    val = CamVidVideoDataset(
        data_root=first, ann_file='val.txt', test_mode=True)
    (clip, ) = [val.get_data_info(i) for i in range(len(val))]
    assert [f['frame_id'] for f in clip['frames']] == list(range(16))
    results = TransformBroadcaster(
        transforms=[LoadFrameFromFile(), LoadVideoAnnotations()])(
            VideoFrameSample()(clip))
    assert results['img'][0].shape == (96, 128, 3)
    values = np.unique(np.stack(results['gt_seg_map']))
    assert set(values.tolist()) == set(range(11)) | {255}
    # the camera pans: consecutive frames differ, but not completely
    diff = np.abs(results['img'][1].astype(int) - results['img'][0])
    assert 5 < diff.mean() < 80


def test_real_camvid(camvid_root):
    val = CamVidVideoDataset(
        data_root=camvid_root, ann_file='val.txt', test_mode=True)
    (clip, ) = [val.get_data_info(i) for i in range(len(val))]
    assert clip['video_id'] == '0016E5' and clip['video_length'] == 101
    frame_ids = [f['frame_id'] for f in clip['frames']]
    assert frame_ids == list(range(7959, 8160, 2))
    train = CamVidVideoDataset(
        data_root=camvid_root, ann_file='train.txt', ref_offsets=[-1])
    assert len(train) == 163
    video_ids = [train.get_data_info(i)['video_id'] for i in range(163)]
    assert sorted(set(video_ids)) == ['0001TP', '0006R0']
    assert video_ids.count('0001TP') == 62
