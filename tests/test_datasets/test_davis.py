# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVISDataset on tiny generated DAVIS-2017/2016 trees and the real
DAVIS-2016 fixture, through the test pipeline of
``configs/_base_/datasets/davis.py``."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmvseg.datasets import DAVISDataset, davis_object_classes
from mmvseg.evaluation.metrics import davis_palette

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DAVIS2016 = osp.join(osp.dirname(REPO), 'shared', 'data', 'davis2016')
H, W = 16, 24


@pytest.fixture(scope='module')
def test_pipeline():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', 'davis.py'))
    return cfg.test_pipeline


def write_frame(root, video, index, size=(H, W)):
    path = osp.join(root, 'JPEGImages', '480p', video, f'{index:05d}.jpg')
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, np.full((*size, 3), 40 * index % 256, np.uint8))


def write_annotation(root, video, index, ids, binary=False):
    path = osp.join(root, 'Annotations', '480p', video, f'{index:05d}.png')
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(np.asarray(ids, np.uint8))
    if not binary:
        img.putpalette(davis_palette().ravel().tolist())
    img.save(path)


def make_davis(root, videos, split='val'):
    """``videos``: {name: (num_frames, {index: ids (H, W)})}."""
    root = str(root)
    for name, (num_frames, annotations) in videos.items():
        os.makedirs(osp.join(root, 'JPEGImages', '480p', name), exist_ok=True)
        for i in range(num_frames):
            write_frame(root, name, i)
        for i, ids in annotations.items():
            write_annotation(root, name, i, ids)
    list_dir = osp.join(root, 'ImageSets', '2017')
    os.makedirs(list_dir, exist_ok=True)
    with open(osp.join(list_dir, f'{split}.txt'), 'w') as f:
        f.write('\n'.join(videos) + '\n')
    return root


def two_objects(void=False):
    ids = np.zeros((H, W), np.uint8)
    ids[2:6, 2:8] = 1
    ids[8:14, 10:20] = 2
    if void:
        ids[0, :] = 255
    return ids


def test_whole_video_items_and_palette_ids(tmp_path, test_pipeline):
    root = make_davis(
        tmp_path,
        dict(
            dogs=(4, {0: two_objects(void=True), 2: two_objects()}),
            cat=(3, {0: two_objects()})))
    dataset = DAVISDataset(data_root=root, pipeline=test_pipeline)
    assert len(dataset) == 2
    assert dataset.metainfo['classes'] == davis_object_classes(10)
    assert dataset.metainfo['classes'][:3] == ('background', 'object 1',
                                               'object 2')
    assert len(dataset.metainfo['palette']) == 11
    info = dataset.get_data_info(0)
    assert info['video_id'] == 'dogs' and info['video_length'] == 4
    assert [f['frame_id'] for f in info['frames']] == [0, 1, 2, 3]
    assert [f['seg_map_path'] is None for f in info['frames']] == \
        [False, True, False, True]
    packed = dataset[0]
    assert tuple(packed['inputs'].shape) == (4, 3, H, W)
    frames = packed['data_samples'].video_data_samples
    # palette indices (object ids), not colours; void kept as 255
    np.testing.assert_array_equal(frames[0].gt_sem_seg.data[0].numpy(),
                                  two_objects(void=True))
    np.testing.assert_array_equal(frames[2].gt_sem_seg.data[0].numpy(),
                                  two_objects())
    assert 'gt_sem_seg' not in frames[1]
    assert frames[3].video_id == 'dogs' and frames[3].frame_index == 3


def test_binary_masks_frame_list_and_max_frames(tmp_path, test_pipeline):
    """DAVIS-2016: 0/255 grayscale masks become object 1; the frame-list
    ``ann_file`` groups frames by folder; ``max_frames`` cuts videos."""
    root = str(tmp_path)
    mask = np.zeros((H, W), np.uint8)
    mask[4:12, 6:18] = 255
    lines = []
    for name in ('swan', 'car'):
        for i in range(5):
            write_frame(root, name, i + 3)
            write_annotation(root, name, i + 3, mask, binary=True)
            lines.append(f'/JPEGImages/480p/{name}/{i + 3:05d}.jpg '
                         f'/Annotations/480p/{name}/{i + 3:05d}.png')
    (tmp_path / 'frames.txt').write_text('\n'.join(lines) + '\n')
    dataset = DAVISDataset(
        data_root=root,
        ann_file='frames.txt',
        binary_masks=True,
        max_frames=3,
        pipeline=test_pipeline)
    assert dataset.metainfo['classes'] == ('background', 'object 1')
    assert [dataset.get_data_info(i)['video_id'] for i in range(2)] == \
        ['swan', 'car']
    info = dataset.get_data_info(1)
    assert info['video_length'] == 3
    assert [f['frame_id'] for f in info['frames']] == [3, 4, 5]
    frames = dataset[1]['data_samples'].video_data_samples
    assert len(frames) == 3 and frames[2].frame_id == 5
    np.testing.assert_array_equal(frames[0].gt_sem_seg.data[0].numpy(),
                                  (mask > 0).astype(np.int64))


def test_missing_first_annotation_and_empty_video(tmp_path):
    root = make_davis(tmp_path, dict(ok=(2, {0: two_objects()}),
                                     late=(3, {1: two_objects()})))
    with pytest.raises(ValueError, match=r'late[/\\]00000\.png.*first frame '
                       'of video "late" has no annotation'):
        DAVISDataset(data_root=root)
    os.remove(osp.join(root, 'Annotations', '480p', 'late', '00001.png'))
    os.remove(osp.join(root, 'JPEGImages', '480p', 'late', '00000.jpg'))
    os.remove(osp.join(root, 'JPEGImages', '480p', 'late', '00001.jpg'))
    os.remove(osp.join(root, 'JPEGImages', '480p', 'late', '00002.jpg'))
    with pytest.raises(ValueError, match='video "late" has no frames'):
        DAVISDataset(data_root=root)


def test_size_mismatch_and_too_many_objects(tmp_path, test_pipeline):
    many = two_objects()
    many[0, 0] = 4
    root = make_davis(
        tmp_path,
        dict(small=(2, {0: two_objects()[:8]}), many=(2, {0: many})))
    dataset = DAVISDataset(
        data_root=root, max_objects=3, pipeline=test_pipeline)
    with pytest.raises(ValueError, match=r'small[/\\]00000\.png: label size '
                       r'\(8, 24\).*differs from its image size \(16, 24\)'):
        dataset[0]
    with pytest.raises(ValueError,
                       match=r'many[/\\]00000\.png: label values \[4\] are '
                       'outside the 4 classes'):
        dataset[1]
    assert len(DAVISDataset(data_root=root, max_objects=4)) == 2


@pytest.mark.parametrize(
    'kwargs, match',
    [(dict(test_mode=False), 'test-only'), (dict(clip_len=5), 'test-only'),
     (dict(max_objects=0), 'max_objects'),
     (dict(max_frames=1.5), 'max_frames')])
def test_bad_arguments(tmp_path, kwargs, match):
    root = make_davis(tmp_path, dict(a=(2, {0: two_objects()})))
    with pytest.raises(ValueError, match=match):
        DAVISDataset(data_root=root, **kwargs)


def test_malformed_frame_list(tmp_path):
    root = make_davis(tmp_path, dict(a=(2, {0: two_objects()})))
    (tmp_path / 'bad.txt').write_text(
        '/JPEGImages/480p/a/00000.jpg /Annotations/480p/a/00000.png\n'
        '/JPEGImages/480p/a/00001.jpg\n')
    with pytest.raises(ValueError, match='bad.txt: line 2'):
        DAVISDataset(data_root=root, ann_file='bad.txt')


def test_real_davis2016_fixture(test_pipeline):
    if not osp.isdir(DAVIS2016):
        pytest.skip(f'{DAVIS2016} is absent: the real DAVIS-2016 fixture '
                    'lives in the read-only shared folder')
    dataset = DAVISDataset(
        data_root=DAVIS2016,
        ann_file='ImageSets/2016/val.txt',
        binary_masks=True,
        max_frames=2,
        pipeline=test_pipeline)
    assert len(dataset) == 8
    assert dataset.get_data_info(2)['video_id'] == 'car-shadow'
    frames = dataset[2]['data_samples'].video_data_samples
    gt = frames[0].gt_sem_seg.data
    assert tuple(gt.shape) == (1, 480, 854)
    assert set(gt.unique().tolist()) == {0, 1}
    full = DAVISDataset(
        data_root=DAVIS2016,
        ann_file='ImageSets/480p/val.txt',
        binary_masks=True)
    assert sum(full.get_data_info(i)['video_length']
               for i in range(len(full))) == 466


def test_label_reader_option(tmp_path):
    from mmvseg.datasets import LoadFrameFromFile, LoadVideoAnnotations
    write_frame(str(tmp_path), 'v', 0)
    write_annotation(str(tmp_path), 'v', 0, two_objects())
    frame = dict(
        img_path=osp.join(str(tmp_path), 'JPEGImages', '480p', 'v',
                          '00000.jpg'),
        seg_map_path=osp.join(str(tmp_path), 'Annotations', '480p', 'v',
                              '00000.png'),
        seg_fields=[],
        num_classes=3)
    loaded = LoadFrameFromFile()(dict(frame, seg_fields=[]))
    # both readers give the palette indices of the annotation
    out = LoadVideoAnnotations()(dict(loaded, seg_fields=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], two_objects())
    indexed = LoadVideoAnnotations(label_reader='indexed_png')
    out = indexed(dict(loaded, seg_fields=[]))
    np.testing.assert_array_equal(out['gt_seg_map'], two_objects())
    assert repr(indexed) == ("LoadVideoAnnotations(reduce_zero_label=None, "
                             "ignore_index=255, label_reader='indexed_png')")
    with pytest.raises(ValueError, match='label_reader must be one of'):
        LoadVideoAnnotations(label_reader='pillow')
