# Copyright (c) mmvseg contributors. All rights reserved.
"""LabelPropagator on tiny synthetic videos (raw Lab features)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvseg.models.propagation import labels_to_ids
from mmvseg.models.segmentors import (LabelPropagator, first_frame_one_hot,
                                      label_to_feature_grid)
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSegDataSample

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'labelprop',
                  'labelprop_lab_davis2017-480p.py')
TEST_CFG = dict(temperature=0.05, topk=10, radius=12, num_context=3)
BACKGROUND, RED, GREEN = (90, 100, 140), (220, 30, 30), (40, 200, 60)


def build(**test_cfg):
    return LabelPropagator(
        backbone=dict(type='RawPixelBackbone'),
        test_cfg=dict(TEST_CFG, **test_cfg)).eval()


def video_sample(first_ids, num_frames, size=None):
    """A VideoSegDataSample whose frame 0 carries ``first_ids``."""
    size = tuple(size or first_ids.shape)
    frames = []
    for t in range(num_frames):
        frame = SegDataSample(
            metainfo=dict(
                video_id='toy', frame_id=t, ori_shape=size, img_shape=size))
        if t == 0:
            frame.gt_sem_seg = PixelData(
                data=torch.as_tensor(first_ids, dtype=torch.int64)[None])
        frames.append(frame)
    sample = VideoSegDataSample()
    sample.video_data_samples = frames
    return sample


def paint(ids, colours, rng, noise=6):
    """RGB 0-255 float (3, H, W): a colour per id plus pixel noise."""
    img = np.zeros((*ids.shape, 3), np.float32)
    for value, colour in colours.items():
        img[ids == value] = colour
    img += rng.uniform(-noise, noise, img.shape)
    return torch.from_numpy(img.clip(0, 255)).permute(2, 0, 1)


def predictions(sample):
    return [f.pred_sem_seg.data[0].numpy() for f in sample.video_data_samples]


def test_static_video_keeps_the_first_label_and_ids():
    """Identical frames: the soft label of every frame is frame 0's (A3.5)
    exactly, so frames 1.. all get the upsampled, arg-maxed frame-0 label
    (A13; it differs from the ground truth only at object corners, where
    bilinear upsampling rounds block-aligned masks). Frame 0 keeps its
    ground truth. Object ids 2 and 5 are channels 1 and 2 and come back as
    2 and 5."""
    ids = np.zeros((48, 64), np.int64)
    ids[8:24, 8:32] = 2
    ids[24:40, 40:56] = 5
    frame = paint(ids, {0: BACKGROUND, 2: RED, 5: GREEN},
                  np.random.default_rng(0))
    inputs = frame[None, None].repeat(1, 5, 1, 1, 1)
    sample = video_sample(ids, 5)
    out = build().predict(inputs, [sample])
    assert out[0] is sample
    object_ids, one_hot = first_frame_one_hot(torch.from_numpy(ids))
    smoothed = object_ids[labels_to_ids(
        label_to_feature_grid(one_hot, (6, 8)), (48, 64))].numpy()
    assert 0 < (smoothed != ids).sum() <= 2 * 4 * 6
    preds = predictions(sample)
    np.testing.assert_array_equal(preds[0], ids)
    for pred in preds[1:]:
        assert pred.dtype == np.int64 and pred.shape == (48, 64)
        np.testing.assert_array_equal(pred, smoothed)
    assert set(np.unique(preds[-1])) == {0, 2, 5}
    assert all('seg_logits' not in f for f in sample.video_data_samples)


def square_video(num_frames=7):
    """Frames (T, 3, 64, 96) and masks of a red square moving 4 px right
    per frame over a static textured background."""
    rng = np.random.default_rng(1)
    blocks = rng.uniform(60, 180, (8, 12, 1)).repeat(3, axis=2)
    background = cv2.resize(blocks, (96, 64),
                            interpolation=cv2.INTER_NEAREST)
    frames, masks = [], []
    for t in range(num_frames):
        mask = np.zeros((64, 96), np.int64)
        mask[20:44, 12 + 4 * t:36 + 4 * t] = 1
        img = background.copy()
        img[mask == 1] = RED
        img += rng.uniform(-4, 4, img.shape)
        frames.append(
            torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1))
        masks.append(mask)
    return torch.stack(frames), masks


def test_translating_square_is_followed():
    """The square is tracked (IoU > 0.8 on every frame, 7 frames)."""
    frames, masks = square_video()
    sample = video_sample(masks[0], 7)
    build().predict(frames[None], [sample])
    preds = predictions(sample)
    for t, (pred, mask) in enumerate(zip(preds, masks)):
        iou = (pred & mask).sum() / (pred | mask).sum()
        assert iou > 0.8, (t, iou)
    centres = [np.nonzero(p)[1].mean() for p in preds]
    np.testing.assert_allclose(np.diff(centres), 4, atol=1.5)


def test_stream_equals_predict_and_reads_a_chunk_ahead():
    """``predict_stream`` on lazy frames and samples gives ``predict``'s
    ids, reading at most ``chunk_size`` frames ahead of its output."""
    frames, masks = square_video(9)
    model = build(chunk_size=2, num_context=2)
    whole = video_sample(masks[0], 9)
    model.predict(frames[None], [whole])
    pulled = []

    def lazy_frames():
        for t, frame in enumerate(frames):
            pulled.append(t)
            yield frame

    samples = video_sample(masks[0], 9).video_data_samples
    stream = model.predict_stream(lazy_frames(), iter(samples))
    for t, frame in enumerate(stream):
        assert frame is samples[t]
        assert t < len(pulled) <= t + 2
        np.testing.assert_array_equal(
            frame.pred_sem_seg.data[0].numpy(), predictions(whole)[t])
    assert len(pulled) == 9


def test_stream_errors_name_the_frame():
    model = build()
    ids = np.zeros((16, 24), np.int64)
    samples = video_sample(ids, 3).video_data_samples
    frames = [torch.zeros(3, 16, 24), torch.zeros(3, 16, 20)]
    with pytest.raises(ValueError, match='"toy" frame 1.*expected '
                       r'\(3, 16, 24\)'):
        list(model.predict_stream(frames, samples))
    with pytest.raises(ValueError, match='frame 1 has no frame sample'):
        list(model.predict_stream([torch.zeros(3, 16, 24)] * 2, samples[:1]))


def test_one_hot_and_a3_5_downsampling():
    """Object pixels: the full central 2x2 of block (0, 0) and one central
    pixel of block (1, 2); a non-central pixel of block (1, 1) is ignored
    by the bilinear (no antialias) resize to the 2x3 grid."""
    ids = np.zeros((16, 24), np.int64)
    ids[3:5, 3:5] = 3
    ids[11, 19] = 3
    ids[8, 8] = 3
    ids[0, 23] = 255
    object_ids, one_hot = first_frame_one_hot(torch.from_numpy(ids))
    assert object_ids.tolist() == [0, 3]
    assert one_hot.dtype == torch.float32 and one_hot.shape == (2, 16, 24)
    assert one_hot[0, 0, 23] == 1  # void is background
    grid = label_to_feature_grid(one_hot, (2, 3))
    expected = torch.tensor([[1., 0, 0], [0, 0, 0.25]])
    torch.testing.assert_close(grid[1], expected)
    torch.testing.assert_close(grid.sum(0), torch.ones(2, 3))


def test_downsampling_equals_cv2_resize_at_non_integer_scale():
    """A3.5: VW/CM call cv2.resize(one_hot, (w, h)) (bilinear, half-pixel)."""
    ids = np.random.default_rng(2).integers(0, 3, (37, 53))
    _, one_hot = first_frame_one_hot(torch.from_numpy(ids))
    grid = label_to_feature_grid(one_hot, (5, 7)).numpy()
    for c in range(3):
        reference = cv2.resize(one_hot[c].numpy(), (7, 5))
        np.testing.assert_allclose(grid[c], reference, atol=1e-4)


def test_id_mapping_without_background_and_with_gaps():
    object_ids, one_hot = first_frame_one_hot(
        torch.tensor([[5, 2], [2, 5]]))
    assert object_ids.tolist() == [0, 2, 5]
    assert one_hot[0].sum() == 0
    assert one_hot[1].tolist() == [[0, 1], [1, 0]]
    assert one_hot[2].tolist() == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match='integer tensor'):
        first_frame_one_hot(torch.zeros(2, 2))


def test_bad_calls_are_explained():
    model = build()
    ids = np.zeros((16, 24), np.int64)
    inputs = torch.zeros(1, 2, 3, 16, 24)
    with pytest.raises(ValueError, match='batch size 1'):
        model.predict(inputs.repeat(2, 1, 1, 1, 1),
                      [video_sample(ids, 2)] * 2)
    with pytest.raises(ValueError, match='one VideoSegDataSample of 2'):
        model.predict(inputs, [video_sample(ids, 3)])
    sample = video_sample(ids, 2)
    del sample.video_data_samples[0].gt_sem_seg
    with pytest.raises(ValueError, match='"toy".*no gt_sem_seg'):
        model.predict(inputs, [sample])
    with pytest.raises(ValueError, match='padded'):
        model.predict(
            torch.zeros(1, 2, 3, 32, 32), [video_sample(ids, 2)])
    with pytest.raises(NotImplementedError, match='training-free'):
        model.loss(inputs, [video_sample(ids, 2)])
    with pytest.raises(NotImplementedError, match='first-frame'):
        model.encode_decode(inputs[0], [])


@pytest.mark.parametrize('test_cfg, match', [
    (dict(temperature=0.05, topk=10, radius=12), r"missing \['num_context'\]"),
    (dict(TEST_CFG, videoLen=20), r"unknown \['videoLen'\]"),
    (dict(TEST_CFG, chunk_size=0), 'chunk_size'),
])
def test_bad_test_cfg(test_cfg, match):
    with pytest.raises(ValueError, match=match):
        LabelPropagator(
            backbone=dict(type='RawPixelBackbone'), test_cfg=test_cfg)


def test_config_builds_and_chunks_do_not_change_features():
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    assert isinstance(model, LabelPropagator)
    assert model.test_cfg == dict(
        temperature=0.05,
        topk=10,
        radius=12,
        num_context=20,
        normalize=True,
        tile_size=10,
        chunk_size=5)
    clip = torch.rand(1, 7, 3, 20, 30) * 255
    feats = model._forward(clip)
    assert feats.shape == (1, 7, 3, 3, 4)
    model.test_cfg['chunk_size'] = 2
    torch.testing.assert_close(model._forward(clip), feats)
    data = model.data_preprocessor(
        dict(inputs=[clip[0].to(torch.uint8)],
             data_samples=[video_sample(np.zeros((20, 30), np.int64), 7)]))
    assert data['inputs'].shape == (1, 7, 3, 20, 30)
    out = model.test_step(data)
    assert len(out) == 1 and len(out[0]) == 7
