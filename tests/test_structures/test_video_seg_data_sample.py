# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvseg.structures import VideoSegDataSample


def _clip(num_frames=3):
    frames = []
    for t in range(num_frames):
        frame = SegDataSample(metainfo=dict(frame_id=t, video_id='v'))
        if t != 1:  # frame 1 unlabelled
            frame.gt_sem_seg = PixelData(data=torch.full((1, 2, 3), t))
        frames.append(frame)
    sample = VideoSegDataSample(
        metainfo=dict(key_frames_inds=[2], ref_frames_inds=[0, 1]))
    sample.video_data_samples = frames
    return sample


def test_indexing_and_key_ref_frames():
    sample = _clip()
    assert len(sample) == 3 and len(VideoSegDataSample()) == 0
    assert [f.frame_id for f in sample.get_ref_frames()] == [0, 1]
    assert sample.get_key_frames()[0].gt_sem_seg.data.unique().item() == 2
    assert 'gt_sem_seg' not in sample[1]


def test_setter_checks_types_and_wraps_single_frame():
    sample = VideoSegDataSample()
    sample.video_data_samples = SegDataSample()
    assert len(sample) == 1
    with pytest.raises(TypeError, match='SegDataSample'):
        sample.video_data_samples = [SegDataSample(), 'frame']


def test_tensor_methods_map_frames_and_keep_other_fields():
    sample = _clip()
    sample.clip_name = 'v_0'  # a field without tensor methods is kept
    sample.scores = torch.ones(2)
    as_numpy = sample.numpy()
    assert isinstance(as_numpy[0].gt_sem_seg.data, np.ndarray)
    assert isinstance(as_numpy.scores, np.ndarray)
    assert as_numpy.clip_name == 'v_0'
    back = as_numpy.to_tensor()
    assert torch.equal(back[2].gt_sem_seg.data, sample[2].gt_sem_seg.data)
    moved = sample.to('cpu')
    assert moved.clip_name == 'v_0' and len(moved) == 3
    assert moved.key_frames_inds == [2]
    cloned = sample.clone()  # new frame objects (values shared, as mmengine)
    assert cloned[0] is not sample[0] and len(cloned) == 3
    cloned[0].set_metainfo(dict(frame_id=7))
    assert sample[0].frame_id == 0
    for method in ('cpu', 'detach'):
        assert len(getattr(sample, method)()) == 3
