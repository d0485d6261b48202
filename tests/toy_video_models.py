# Copyright (c) mmvseg contributors. All rights reserved.
"""A toy image model and hand-made clips for the segmentor tests.

``tests/`` is on ``sys.path`` (``pythonpath`` in setup.cfg), so test files
use ``from toy_video_models import IMAGE_MODEL, make_clip``.
"""
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torch import nn

from mmvseg.structures import VideoSegDataSample

H, W, K = 16, 24, 3


class ToyBackbone(BaseModule):
    """Two features: stride 2 (4 ch) and stride 4 (8 ch)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)

    def forward(self, x):
        f1 = F.relu(self.conv1(x))
        return f1, F.relu(self.conv2(f1))


IMAGE_MODEL = ConfigDict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor'),
    backbone=dict(type=ToyBackbone),
    decode_head=dict(
        type='FCNHead', in_channels=8, in_index=1, channels=8, num_convs=1,
        concat_input=False, num_classes=K, norm_cfg=None, dropout_ratio=0,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    test_cfg=dict(mode='whole'))


def make_clip(num_frames=3, labelled=(0, 1, 2), key=None, ref=None,
              size=(H, W)):
    """A ``VideoSegDataSample`` of ``num_frames`` frames of ``size``, random
    labels on the ``labelled`` positions."""
    frames = []
    for t in range(num_frames):
        frame = SegDataSample(metainfo=dict(
            ori_shape=size, img_shape=size, pad_shape=size,
            frame_id=t, video_id='toy', img_path=f'toy/{t}.png'))
        if t in labelled:
            frame.gt_sem_seg = PixelData(
                data=torch.randint(0, K, (1, *size)))
        frames.append(frame)
    key = list(range(num_frames)) if key is None else key
    sample = VideoSegDataSample(
        metainfo=dict(key_frames_inds=key, ref_frames_inds=ref or []))
    sample.video_data_samples = frames
    return sample


def assert_streams_lazily(model, frames):
    """``model.predict_clip`` on a lazy iterable of (3, H, W) frames equals
    it on the (T, 3, H, W) clip, and reads frame t + 1 (and its sample) only
    after yielding the logits of frame t: the frame samples are consumed in
    step (``predict_stream`` tees them, so a model that skipped them would
    keep every sample alive)."""
    pulled, pulled_samples = [], []

    def stream():
        for t, frame in enumerate(frames):
            pulled.append(t)
            yield frame

    def samples():
        for t in range(frames.shape[0]):
            pulled_samples.append(t)
            yield None

    with torch.no_grad():
        clip = list(model.predict_clip(frames, [None] * frames.shape[0]))
        steps = model.predict_clip(stream(), samples())
        for t, logits in enumerate(steps):
            assert pulled == pulled_samples == list(range(t + 1))
            assert torch.equal(logits, clip[t])
    assert len(pulled) == frames.shape[0]
