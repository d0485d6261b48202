# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from mmvseg.datasets import PackVideoSegInputs
from mmvseg.structures import VideoSegDataSample


def _clip_results(num_frames=3, height=4, width=5):
    rng = np.random.default_rng(0)
    return dict(
        img=[
            rng.integers(0, 256, (height, width, 3), np.uint8)
            for _ in range(num_frames)
        ],
        gt_seg_map=[
            np.full((height, width), i, np.uint8) for i in range(num_frames)
        ],
        seg_map_path=[f'gt{i}.png' if i != 1 else None
                      for i in range(num_frames)],
        img_path=[f'{i}.png' for i in range(num_frames)],
        ori_shape=[(height, width)] * num_frames,
        img_shape=[(height, width)] * num_frames,
        frame_id=list(range(10, 10 + num_frames)),
        video_id=['v'] * num_frames,
        video_length=[num_frames] * num_frames,
        seg_fields=[['gt_seg_map'] for _ in range(num_frames)],
        key_frame_flags=[False, True, False][:num_frames])


def test_pack_clip():
    results = _clip_results()
    packed = PackVideoSegInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.shape == (3, 3, 4, 5) and inputs.dtype == torch.uint8
    for i in range(3):
        np.testing.assert_array_equal(inputs[i].permute(1, 2, 0).numpy(),
                                      results['img'][i])
    assert isinstance(sample, VideoSegDataSample) and len(sample) == 3
    assert all(isinstance(f, SegDataSample) for f in sample.video_data_samples)
    assert sample.key_frames_inds == [1] and sample.ref_frames_inds == [0, 2]
    assert [f.frame_id for f in sample.video_data_samples] == [10, 11, 12]
    assert [f.video_id for f in sample.video_data_samples] == ['v'] * 3
    assert sample[0].img_path == '0.png' and sample[0].ori_shape == (4, 5)
    assert sample[0].video_length == 3
    # frame 1 is unlabelled: its placeholder map is not packed
    assert [('gt_sem_seg' in f) for f in sample.video_data_samples] == [
        True, False, True
    ]
    assert sample[2].gt_sem_seg.data.shape == (1, 4, 5)
    assert sample[2].gt_sem_seg.data.dtype == torch.int64
    assert (sample[2].gt_sem_seg.data == 2).all()
    assert sample.get_key_frames()[0] is sample[1]


def test_pack_repr_and_meta_keys():
    transform = PackVideoSegInputs()
    text = repr(transform)
    assert text.startswith('PackVideoSegInputs(meta_keys=(')
    for key in ('img_path', 'ori_shape', 'flip', 'frame_id', 'video_id',
                'video_length'):
        assert key in transform.meta_keys and repr(key) in text
    packed = PackVideoSegInputs(meta_keys=('frame_id', ))(_clip_results())
    assert set(packed['data_samples'][0].metainfo) == {'frame_id'}


def test_pack_errors():
    results = _clip_results()
    results['frame_id'] = [1, 2]
    with pytest.raises(ValueError, match="'frame_id' has 2 values"):
        PackVideoSegInputs()(results)
    results = _clip_results()
    results['video_id'] = 'v'
    with pytest.raises(ValueError, match="'video_id' must be a list"):
        PackVideoSegInputs()(results)
    results = _clip_results()
    results['img'][2] = np.zeros((6, 5, 3), np.uint8)
    with pytest.raises(ValueError, match='one size'):
        PackVideoSegInputs()(results)
