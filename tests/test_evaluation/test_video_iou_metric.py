# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.evaluation.metrics import IoUMetric
from mmseg.structures import SegDataSample

from mmvseg.evaluation.metrics import VideoIoUMetric
from mmvseg.registry import METRICS
from mmvseg.structures import VideoSegDataSample

CLASSES = ('road', 'car', 'sky', 'tree')


def random_clips(seed=0, num_clips=4, num_frames=3, shape=(6, 7)):
    """Clips of random predictions/labels (with 255 pixels); frame 1 of every
    clip and the whole last clip are unlabelled."""
    rng = np.random.default_rng(seed)
    clips = []
    for c in range(num_clips):
        frames = []
        for t in range(num_frames):
            frame = SegDataSample(metainfo=dict(img_path=f'v{c}/{t}.png'))
            frame.pred_sem_seg = PixelData(
                data=torch.from_numpy(rng.integers(0, 4, (1, *shape))))
            if t != 1 and c != num_clips - 1:
                label = rng.integers(0, 4, (1, *shape))
                label[rng.random(label.shape) < 0.2] = 255
                frame.gt_sem_seg = PixelData(data=torch.from_numpy(label))
            frames.append(frame)
        clip = VideoSegDataSample()
        clip.video_data_samples = frames
        clips.append(clip)
    return clips


def labelled_frames(clips):
    return [
        frame.to_dict() for clip in clips for frame in clip.video_data_samples
        if 'gt_sem_seg' in frame
    ]


@pytest.mark.parametrize('iou_metrics',
                         [['mIoU'], ['mIoU', 'mDice', 'mFscore']])
def test_equals_iou_metric_frame_by_frame(iou_metrics):
    clips = random_clips()
    video_metric = METRICS.build(
        dict(type='VideoIoUMetric', iou_metrics=iou_metrics))
    image_metric = IoUMetric(iou_metrics=iou_metrics)
    for metric in (video_metric, image_metric):
        metric.dataset_meta = dict(classes=CLASSES)
    video_metric.process({}, [clip.to_dict() for clip in clips[:2]])
    video_metric.process({}, [clip.to_dict() for clip in clips[2:]])
    frames = labelled_frames(clips)
    image_metric.process({}, frames)
    assert len(video_metric.results) == len(clips)  # one entry per clip
    assert len(image_metric.results) == len(frames) == 6
    expected = image_metric.evaluate(len(frames))
    result = video_metric.evaluate(len(clips))
    # same two-decimal values; mmseg's are float32, ours float64
    assert list(result) == list(expected)
    assert result == {k: pytest.approx(float(v), abs=1e-4)
                      for k, v in expected.items()}
    assert set(expected) >= {'aAcc', 'mIoU', 'mAcc'}


def test_summary_is_the_clip_sum_of_areas():
    clips = random_clips(seed=1)
    metric = VideoIoUMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [clips[0].to_dict(), clips[-1].to_dict()])
    frames = labelled_frames(clips[:1])
    areas = [
        IoUMetric.intersect_and_union(
            f['pred_sem_seg']['data'][0], f['gt_sem_seg']['data'][0], 4, 255)
        for f in frames
    ]
    for total, parts in zip(metric.results[0], zip(*areas)):
        assert total.dtype == torch.float64
        assert torch.equal(total, sum(p.double() for p in parts))
    # a clip without labelled frame adds zeros (still exactly one entry)
    assert all(torch.equal(t, torch.zeros(4, dtype=torch.float64))
               for t in metric.results[1])


def test_nan_to_num_and_ignore_index():
    frame = SegDataSample(metainfo=dict(img_path='v/0.png'))
    frame.pred_sem_seg = PixelData(data=torch.tensor([[[0, 1], [1, 1]]]))
    frame.gt_sem_seg = PixelData(data=torch.tensor([[[0, 1], [0, 7]]]))
    clip = VideoSegDataSample()
    clip.video_data_samples = [frame]
    metric = VideoIoUMetric(ignore_index=7, nan_to_num=-1)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process({}, [clip.to_dict()])
    # c0: I 1, U 2; c1: I 1, U 2; c2: NaN -> -1
    assert metric.compute_metrics(metric.results) == dict(
        aAcc=66.67, mIoU=pytest.approx((50 + 50 - 100) / 3, abs=0.01),
        mAcc=pytest.approx((50 + 100 - 100) / 3, abs=0.01))


def test_size_mismatch_names_the_frame():
    frame = SegDataSample(metainfo=dict(img_path='v/3.png'))
    frame.pred_sem_seg = PixelData(data=torch.zeros(1, 2, 3))
    frame.gt_sem_seg = PixelData(data=torch.zeros(1, 3, 2))
    clip = VideoSegDataSample()
    clip.video_data_samples = [frame]
    metric = VideoIoUMetric()
    metric.dataset_meta = dict(classes=('a', ))
    with pytest.raises(ValueError, match=r'v/3.png: prediction size'):
        metric.process({}, [clip.to_dict()])
