# Copyright (c) mmvseg contributors. All rights reserved.
"""LoadTeacherLogits: teacher logits read per frame, moved with the frame
through the train pipeline and packed by PackVideoSegInputs."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from video_pipelines import train_pipeline

from mmvseg.datasets.transforms import LoadTeacherLogits, PackVideoSegInputs
from mmvseg.datasets.transforms.teacher_logits import (read_teacher_logits,
                                                       resize_logits,
                                                       teacher_logits_path)
from mmvseg.utils import read_label

NUM_CLASSES = 3


def _save(path, array, **named):
    """``np.savez_compressed`` of ``array`` (key ``arr_0``) or of
    ``named`` arrays."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        if named:
            np.savez_compressed(f, **named)
        else:
            np.savez_compressed(f, array)
    return path


def _one_hot(label, scale=10.0):
    """(H, W) class ids -> (K, H, W) logits, ``scale`` at the class."""
    return (np.eye(NUM_CLASSES, dtype=np.float32)[label] * scale).transpose(
        2, 0, 1)


def _frame(root, shape=(4, 6)):
    """Results of a loaded frame ``<root>/img/v/f0.png`` of video ``v``."""
    return dict(
        img_path=osp.join(root, 'img', 'v', 'f0.png'),
        video_id='v',
        img_shape=shape,
        seg_fields=['gt_seg_map'])


def test_layout_rule():
    assert teacher_logits_path('out', 'clip_3', 'data/clip_3/images/'
                               '000120.png') == osp.join(
                                   'out', 'clip_3', '000120.npz')
    assert teacher_logits_path('o', 'seq', 'a/seq_0001.left.jpg') == \
        osp.join('o', 'seq', 'seq_0001.left.npz')


def test_load_float16_file_as_float32(tmp_path):
    logits = np.random.default_rng(0).normal(size=(3, 4, 6))
    _save(str(tmp_path / 'logits' / 'v' / 'f0.npz'),
          logits.astype(np.float16))
    transform = LoadTeacherLogits(str(tmp_path / 'logits'), NUM_CLASSES)
    results = transform(_frame(str(tmp_path)))
    assert results['seg_fields'] == ['gt_seg_map', 'teacher_logits']
    loaded = results['teacher_logits']
    assert loaded.shape == (4, 6, 3) and loaded.dtype == np.float32
    assert loaded.flags.c_contiguous
    np.testing.assert_array_equal(
        loaded, logits.astype(np.float16).astype(np.float32).transpose(
            1, 2, 0))
    assert repr(transform) == (
        f"LoadTeacherLogits(logits_root='{tmp_path / 'logits'}', "
        'num_classes=3, resize=False)')


def test_resize_to_the_frame(tmp_path):
    """resize=True: a (3, 2, 4) map to the frame's (1, 2); hand-computed
    antialiased bilinear (triangle filter of half-width 2 px at scale 1/2:
    output 0 = (0.75 x0 + 0.75 x1 + 0.25 x2) / 1.75 on row means)."""
    row = np.array([0., 1., 2., 3.], np.float32)
    logits = np.stack([np.stack([row, row]) * (k + 1) for k in range(3)])
    _save(str(tmp_path / 'logits' / 'v' / 'f0.npz'), logits)
    frame = _frame(str(tmp_path), shape=(1, 2))
    with pytest.raises(ValueError, match=r'f0\.npz: teacher logits of size '
                       r'\(2, 4\) \(H, W\), the frame .*f0\.png is \(1, 2\)'):
        LoadTeacherLogits(str(tmp_path / 'logits'), NUM_CLASSES)(dict(frame))
    results = LoadTeacherLogits(
        str(tmp_path / 'logits'), NUM_CLASSES, resize=True)(frame)
    expected = np.array([0.75 / 1.75 + 0.5 / 1.75, (0.25 + 1.5 + 2.25) / 1.75])
    for k in range(3):
        np.testing.assert_allclose(results['teacher_logits'][0, :, k],
                                   expected * (k + 1), rtol=1e-6)
    # upsampling is plain bilinear (align_corners=False)
    up = resize_logits(np.array([[[0., 4.]]], np.float32), (1, 4))
    np.testing.assert_allclose(up, [[[0., 1., 3., 4.]]])
    same = np.zeros((2, 3, 4), np.float32)
    assert resize_logits(same, (3, 4)) is same


def test_bad_files_are_named(tmp_path):
    root = str(tmp_path / 'logits')
    path = osp.join(root, 'v', 'f0.npz')
    transform = LoadTeacherLogits(root, NUM_CLASSES)
    with pytest.raises(FileNotFoundError, match=r'v/f0\.npz: teacher logits '
                       'file not found'):
        transform(_frame(str(tmp_path)))
    _save(path, np.zeros((4, 4, 6), np.float32))
    with pytest.raises(ValueError, match=r'f0\.npz: 4 classes, expected '
                       'num_classes=3'):
        transform(_frame(str(tmp_path)))
    good = np.zeros((3, 4, 6), np.float32)
    _save(path, good)
    data = open(path, 'rb').read()
    for damaged in (data[:len(data) // 2], data[:-8], b'',
                    data[:60] + bytes(40) + data[100:]):
        with open(path, 'wb') as f:
            f.write(damaged)
        with pytest.raises(ValueError, match=r'f0\.npz: cannot read the '
                           'teacher logits'):
            transform(_frame(str(tmp_path)))
    with open(path, 'wb') as f:
        np.save(f, good)  # a .npy under the .npz name
    with pytest.raises(ValueError, match=r'f0\.npz: cannot read'):
        read_teacher_logits(path, NUM_CLASSES)
    _save(path, None, logits=good)
    with pytest.raises(ValueError, match=r"f0\.npz: no array 'arr_0' in the "
                       r"\.npz \(it holds \['logits'\]\)"):
        read_teacher_logits(path, NUM_CLASSES)
    _save(path, np.zeros((4, 6), np.float32))
    with pytest.raises(ValueError, match=r'f0\.npz: teacher logits must be a '
                       r'\(K, H, W\) float array, got float32 \(4, 6\)'):
        read_teacher_logits(path, NUM_CLASSES)
    _save(path, np.zeros((3, 4, 6), np.uint8))
    with pytest.raises(ValueError, match='must be a .* float array'):
        read_teacher_logits(path, NUM_CLASSES)
    bad = good.copy()
    bad[1, 2, 3] = np.nan
    _save(path, bad)
    with pytest.raises(ValueError, match=r'f0\.npz: teacher logits hold NaN'):
        read_teacher_logits(path, NUM_CLASSES)
    with pytest.raises(KeyError, match='video_id is missing'):
        frame = _frame(str(tmp_path))
        del frame['video_id']
        transform(frame)
    for num_classes in (0, True, 2.0):
        with pytest.raises(ValueError, match='num_classes must be an int'):
            LoadTeacherLogits(root, num_classes)


def test_pack_teacher_logits():
    """(H, W, K) arrays become (K, H, W) float32 PixelData per frame; an
    (H, W) array is K = 1; frames without them get none."""
    rng = np.random.default_rng(0)
    logits = [rng.normal(size=(4, 5, 3)).astype(np.float32),
              rng.normal(size=(4, 5))]
    results = dict(
        img=[np.zeros((4, 5, 3), np.uint8)] * 2,
        img_path=['0.png', '1.png'],
        teacher_logits=logits,
        key_frame_flags=[True, False])
    samples = PackVideoSegInputs()(results)['data_samples']
    first, second = samples.video_data_samples
    assert first.teacher_logits.data.dtype == torch.float32
    np.testing.assert_array_equal(first.teacher_logits.data.numpy(),
                                  logits[0].transpose(2, 0, 1))
    assert second.teacher_logits.data.shape == (1, 4, 5)
    np.testing.assert_allclose(second.teacher_logits.data[0].numpy(),
                               logits[1])
    results.pop('teacher_logits')
    samples = PackVideoSegInputs()(results)['data_samples']
    assert 'teacher_logits' not in samples.video_data_samples[0]


def test_logits_stay_aligned_with_the_label_map(make_videos, build_dataset,
                                                tmp_path):
    """Done means 1: logits made from each frame's label map (one-hot x 10)
    come out of RandomResize + RandomCrop + RandomFlip (shared parameters
    over the clip, fixed seeds) with argmax equal to the packed label map
    and values still 0 or 10 (nearest resizing)."""
    root = make_videos({'v': (3, [0, 1, 2])}, height=24, width=32)
    logits_root = str(tmp_path / 'logits')
    for name in sorted(os.listdir(osp.join(root, 'img', 'v'))):
        label = read_label(osp.join(root, 'ann', 'v', name))
        _save(teacher_logits_path(logits_root, 'v', name), _one_hot(label))
    pipeline = train_pipeline(
        dict(
            type='LoadTeacherLogits',
            logits_root=logits_root,
            num_classes=NUM_CLASSES),
        dict(
            type='RandomResize',
            scale=(32, 24),
            ratio_range=(0.6, 1.8),
            keep_ratio=True),
        dict(type='RandomCrop', crop_size=(16, 20), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5))
    dataset = build_dataset(root, ref_offsets=[-1], pipeline=pipeline)
    flips, scales = set(), set()
    for seed in range(6):
        np.random.seed(seed)
        for index in range(len(dataset)):
            item = dataset[index]
            for sample in item['data_samples'].video_data_samples:
                teacher = sample.teacher_logits.data
                label = sample.gt_sem_seg.data[0]
                assert teacher.shape[0] == NUM_CLASSES
                assert teacher.shape[1:] == label.shape == item[
                    'inputs'].shape[2:]
                assert torch.equal(teacher.argmax(0), label)
                assert set(teacher.unique().tolist()) <= {0.0, 10.0}
                flips.add(sample.flip)
                scales.add(sample.scale_factor)
    assert flips == {True, False} and len(scales) > 3
