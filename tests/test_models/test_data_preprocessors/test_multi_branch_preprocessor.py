# Copyright (c) mmvseg contributors. All rights reserved.
"""Two-stream batches from files to a tiny model's ``loss``."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn
from torch.utils.data import DataLoader
from video_pipelines import train_pipeline

from mmvseg.models.data_preprocessors import (MultiBranchVideoDataPreProcessor,
                                              VideoSegDataPreProcessor)
from mmvseg.registry import DATASETS, MODELS
from mmvseg.structures import VideoSegDataSample

MEAN, STD = [1., 2., 3.], [2., 4., 8.]
PLAIN_CFG = dict(
    type='VideoSegDataPreProcessor',
    mean=MEAN,
    std=STD,
    bgr_to_rgb=True,
    size_divisor=4,
    test_cfg=dict(size_divisor=4))
#: video -> (height, width, frames, labelled frames, base pixel value)
VIDEOS = {
    's0': (6, 8, 3, [2], 10),
    's1': (5, 10, 2, [1], 60),
    't0': (7, 9, 4, [], 110),
}
PIPELINE = train_pipeline()


def _bgr(video, frame):
    """The constant BGR colour of ``frame`` of ``video``."""
    base = VIDEOS[video][4] + 3 * frame
    return (base, base + 1, base + 2)


@pytest.fixture
def root(tmp_path):
    """Frames of constant colour (:func:`_bgr`), labels of value 1."""
    root = str(tmp_path)
    for video, (height, width, num, labelled, _) in VIDEOS.items():
        os.makedirs(osp.join(root, 'img', video))
        os.makedirs(osp.join(root, 'ann', video))
        for frame in range(num):
            img = np.empty((height, width, 3), np.uint8)
            img[:] = _bgr(video, frame)
            cv2.imwrite(osp.join(root, 'img', video, f'{frame}.png'), img)
            if frame in labelled:
                cv2.imwrite(
                    osp.join(root, 'ann', video, f'{frame}.png'),
                    np.ones((height, width), np.uint8))
    for split, names in (('source', 's0\ns1\n'), ('target', 't0\n')):
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(names)
    return root


def _domain(root, split, **kwargs):
    cfg = dict(
        type='BaseVideoSegDataset',
        data_root=root,
        ann_file=f'{split}.txt',
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        metainfo=dict(classes=('a', 'b')),
        pipeline=PIPELINE)
    cfg.update(kwargs)
    return cfg


class RecordingModel(BaseModel):
    """Records what reaches ``forward``; its loss is zero."""

    def __init__(self, data_preprocessor: dict) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.weight = nn.Parameter(torch.zeros(()))
        self.received = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.received.append((mode, inputs, data_samples))
        if mode == 'loss':
            return dict(loss=self.weight * sum(
                clip.mean() for clip in inputs.values()))
        return data_samples


def _expected_pixel(frame_sample):
    """Normalised RGB of a frame, from its file name."""
    video = osp.basename(osp.dirname(frame_sample.img_path))
    index = int(osp.splitext(osp.basename(frame_sample.img_path))[0])
    rgb = _bgr(video, index)[::-1]
    return torch.tensor([(v - m) / s for v, m, s in zip(rgb, MEAN, STD)])


def _check_branch(inputs, samples, shape, video_ids):
    assert inputs.dtype == torch.float32 and tuple(inputs.shape) == shape
    assert len(samples) == shape[0]
    for clip, sample in zip(inputs, samples):
        assert isinstance(sample, VideoSegDataSample)
        assert len(sample) == shape[1]
        for frame, frame_sample in zip(clip, sample.video_data_samples):
            assert frame_sample.video_id in video_ids
            height, width = frame_sample.img_shape
            assert tuple(frame_sample.pad_shape) == shape[-2:]
            expected = _expected_pixel(frame_sample)[:, None, None]
            assert torch.allclose(frame[:, :height, :width], expected)
            assert (frame[:, height:] == 0).all()  # pad_val
            assert (frame[:, :, width:] == 0).all()
            if 'gt_sem_seg' in frame_sample:
                seg = frame_sample.gt_sem_seg.data
                assert tuple(seg.shape) == (1, ) + shape[-2:]
                assert (seg[:, :height, :width] == 1).all()
                assert (seg[:, height:] == 255).all()
                assert (seg[:, :, width:] == 255).all()


def test_two_branch_batch_reaches_the_model(root):
    dataset = DATASETS.build(
        dict(
            type='TwoDomainDataset',
            source=_domain(root, 'source', ref_offsets=[-1]),
            target=_domain(
                root, 'target', ref_offsets=dict(choices=[1, -1], num=1),
                key_frames='all', allow_unlabelled_videos=True)))
    assert len(dataset) == 2  # s0 frame 2, s1 frame 1
    loader = DataLoader(dataset, batch_size=2, collate_fn=pseudo_collate)
    model = RecordingModel(
        dict(
            type='MultiBranchVideoDataPreProcessor',
            data_preprocessor=PLAIN_CFG))
    assert isinstance(model.data_preprocessor,
                      MultiBranchVideoDataPreProcessor)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.))
    torch.manual_seed(0)
    batch = next(iter(loader))
    assert set(batch['inputs']) == {'source', 'target'}
    log_vars = model.train_step(batch, optim_wrapper)
    assert float(log_vars['loss'].detach()) == 0.

    ((mode, inputs, samples), ) = model.received
    assert mode == 'loss'
    assert set(inputs) == set(samples) == {'source', 'target'}
    # source: (6, 8) and (5, 10) frames padded to (6, 10), then to 4 | size
    _check_branch(inputs['source'], samples['source'], (2, 2, 3, 8, 12),
                  {'s0', 's1'})
    assert [s[1].video_id for s in samples['source']] == ['s0', 's1']
    for sample in samples['source']:
        assert sample.key_frames_inds == [1]  # (t-1, t), temporal order
        assert 'gt_sem_seg' in sample[1] and 'gt_sem_seg' not in sample[0]
    # target: (7, 9) padded to (8, 12); key frame first, one reference
    _check_branch(inputs['target'], samples['target'], (2, 2, 3, 8, 12),
                  {'t0'})
    for sample in samples['target']:
        assert sample.key_frames_inds == [0] and sample.ref_frames_inds == [1]
        key, ref = sample.video_data_samples
        assert abs(ref.frame_index - key.frame_index) <= 1
        assert 'gt_sem_seg' not in key and 'gt_sem_seg' not in ref


def test_outside_training_it_is_the_plain_preprocessor(root):
    dataset = DATASETS.build(
        _domain(root, 'target', clip_len=3, test_mode=True))
    batch = pseudo_collate([dataset[0]])
    model = RecordingModel(
        dict(
            type='MultiBranchVideoDataPreProcessor',
            data_preprocessor=PLAIN_CFG))
    model.val_step(batch)
    ((mode, inputs, samples), ) = model.received
    assert mode == 'predict'
    expected = MODELS.build(PLAIN_CFG)(
        pseudo_collate([dataset[0]]), training=False)
    assert torch.equal(inputs, expected['inputs'])
    assert tuple(inputs.shape) == (1, 3, 3, 8, 12)
    assert [f.img_path for f in samples[0].video_data_samples] == [
        f.img_path for f in expected['data_samples'][0].video_data_samples
    ]


def test_bad_training_batches():
    preprocessor = MultiBranchVideoDataPreProcessor(PLAIN_CFG)
    assert isinstance(preprocessor.data_preprocessor,
                      VideoSegDataPreProcessor)
    clip = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    with pytest.raises(TypeError, match='dict of branches'):
        preprocessor(dict(inputs=[clip], data_samples=[None]), training=True)
    with pytest.raises(ValueError, match=r"branches of inputs \['source'\]"):
        preprocessor(
            dict(inputs=dict(source=[clip]), data_samples=dict(target=[])),
            training=True)


class _WithDenormalize(nn.Module):

    def denormalize(self, frames):
        return frames * 3


def test_denormalize_and_device_reach_the_wrapped_preprocessor():
    preprocessor = MultiBranchVideoDataPreProcessor(PLAIN_CFG)
    preprocessor.data_preprocessor = _WithDenormalize()
    assert preprocessor.denormalize(torch.ones(1)).item() == 3
    preprocessor = MultiBranchVideoDataPreProcessor(PLAIN_CFG)
    assert preprocessor.to('cpu') is preprocessor
    assert preprocessor.cpu() is preprocessor
    assert preprocessor.device == preprocessor.data_preprocessor.device == (
        torch.device('cpu'))
    if torch.cuda.is_available():
        preprocessor.to('cuda')
        assert preprocessor.data_preprocessor.device.type == 'cuda'
        preprocessor.cpu()
        preprocessor.cuda()
        assert preprocessor.data_preprocessor.device.type == 'cuda'
