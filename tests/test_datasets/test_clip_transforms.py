# Copyright (c) mmvseg contributors. All rights reserved.
"""Shared geometry and photometric jitter on clips."""
import copy

import cv2
import mmcv
import numpy as np
import pytest
from mmcv.transforms import (Compose, RandomFlip, RandomResize,
                             TransformBroadcaster)
from mmseg.datasets.transforms import RandomCrop

from mmvseg.datasets import (LoadFrameFromFile, LoadVideoAnnotations,
                             VideoFrameSample, VideoPhotoMetricDistortion)
from mmvseg.datasets.transforms import RandomGaussianBlur

HEIGHT, WIDTH = 20, 28


@pytest.fixture
def clip(tmp_path, write_png):
    """A 3-frame item (distinct random frames; frame 1 unlabelled)."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(3):
        img = rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
        frame = dict(
            img_path=write_png(str(tmp_path / f'{i}.png'), img),
            seg_map_path=None,
            label_map=None,
            reduce_zero_label=False,
            seg_fields=[],
            frame_id=i,
            video_id='v',
            video_length=3,
            num_classes=3)
        if i != 1:
            label = rng.integers(0, 3, (HEIGHT, WIDTH), np.uint8)
            frame['seg_map_path'] = write_png(str(tmp_path / f'{i}_gt.png'),
                                              label)
        frames.append(frame)
    return dict(
        video_id='v',
        video_length=3,
        frames=frames,
        key_frame_flags=[False, True, False],
        sample_idx=0)


def _loaded(clip):
    return TransformBroadcaster(
        transforms=[LoadFrameFromFile(),
                    LoadVideoAnnotations()])(VideoFrameSample()(clip))


def _geometry():
    return [
        RandomResize(scale=(WIDTH, HEIGHT), ratio_range=(0.5, 2.0),
                     keep_ratio=True),
        RandomCrop(crop_size=(12, 16), cat_max_ratio=1.0),
        RandomFlip(prob=0.5),
    ]


def test_frame_sample_gives_lists_of_length_t(clip):
    results = VideoFrameSample()(clip)
    assert 'frames' not in results
    for key, value in results.items():
        assert isinstance(value, list) and len(value) == 3, key
    assert results['video_id'] == ['v'] * 3  # not split into characters
    assert results['sample_idx'] == [0] * 3
    assert results['key_frame_flags'] == [False, True, False]
    assert results['seg_map_path'][1] is None
    assert len({id(fields) for fields in results['seg_fields']}) == 3
    assert repr(VideoFrameSample()) == 'VideoFrameSample()'
    bad = copy.deepcopy(clip)
    bad['key_frame_flags'] = [True]
    with pytest.raises(ValueError, match='key_frame_flags'):
        VideoFrameSample()(bad)


def test_seg_fields_stay_per_frame(clip):
    results = TransformBroadcaster(
        transforms=[RandomFlip(prob=1.0)], share_random_params=True)(
            _loaded(clip))
    assert results['seg_fields'] == [['gt_seg_map']] * 3
    assert len({id(fields) for fields in results['seg_fields']}) == 3


def test_flip_is_shared_and_exact(clip):
    loaded = _loaded(clip)
    inputs = copy.deepcopy(loaded)
    results = TransformBroadcaster(
        transforms=[RandomFlip(prob=1.0)], share_random_params=True)(loaded)
    for i in range(3):
        np.testing.assert_array_equal(results['img'][i],
                                      inputs['img'][i][:, ::-1])
    for i in (0, 2):
        np.testing.assert_array_equal(results['gt_seg_map'][i],
                                      inputs['gt_seg_map'][i][:, ::-1])
    flips = set()
    for seed in range(8):
        np.random.seed(seed)
        out = TransformBroadcaster(
            transforms=[RandomFlip(prob=0.5)],
            share_random_params=True)(_loaded(clip))
        assert len(set(out['flip'])) == 1
        flips.add(out['flip'][0])
    assert flips == {True, False}


def test_crop_is_shared_and_exact(clip):
    loaded = _loaded(clip)
    inputs = copy.deepcopy(loaded)
    np.random.seed(3)
    results = TransformBroadcaster(
        transforms=[RandomCrop(crop_size=(12, 16))],
        share_random_params=True)(loaded)
    out0 = results['img'][0]
    (y, x), = [(y, x) for y in range(HEIGHT - 11) for x in range(WIDTH - 15)
               if np.array_equal(inputs['img'][0][y:y + 12, x:x + 16], out0)]
    for i in range(3):
        np.testing.assert_array_equal(results['img'][i],
                                      inputs['img'][i][y:y + 12, x:x + 16])
    for i in (0, 2):
        np.testing.assert_array_equal(
            results['gt_seg_map'][i],
            inputs['gt_seg_map'][i][y:y + 12, x:x + 16])
    assert (results['gt_seg_map'][1] == 255).all()  # unlabelled frame
    assert not np.array_equal(results['img'][0], results['img'][2])


def test_resize_is_shared_and_exact(clip):
    loaded = _loaded(clip)
    inputs = copy.deepcopy(loaded)
    np.random.seed(1)
    results = TransformBroadcaster(
        transforms=[_geometry()[0]], share_random_params=True)(loaded)
    assert len(set(results['img_shape'])) == 1
    height, width = results['img_shape'][0]
    assert (height, width) != (HEIGHT, WIDTH)
    for i in range(3):
        np.testing.assert_array_equal(
            results['img'][i], mmcv.imresize(inputs['img'][i],
                                             (width, height)))
    for i in (0, 2):
        np.testing.assert_array_equal(
            results['gt_seg_map'][i],
            mmcv.imresize(inputs['gt_seg_map'][i], (width, height),
                          interpolation='nearest'))


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_whole_geometry_equals_per_frame_replay(clip, seed):
    """Frame i of the shared clip == the same draws applied to frame i."""
    np.random.seed(seed)
    results = TransformBroadcaster(
        transforms=_geometry(), share_random_params=True)(_loaded(clip))
    singles = VideoFrameSample()(clip)
    for i in range(3):
        frame = {key: value[i] for key, value in singles.items()}
        np.random.seed(seed)
        expected = Compose([LoadFrameFromFile(),
                            LoadVideoAnnotations()] + _geometry())(frame)
        np.testing.assert_array_equal(results['img'][i], expected['img'])
        assert results['flip'][i] == expected['flip']
        if i != 1:
            np.testing.assert_array_equal(results['gt_seg_map'][i],
                                          expected['gt_seg_map'])
    assert (results['gt_seg_map'][1] == 255).all()  # unlabelled frame
    assert not np.array_equal(results['img'][0], results['img'][2])


def test_per_frame_geometry_without_sharing(clip):
    shapes = set()
    for seed in range(4):
        np.random.seed(seed)
        results = TransformBroadcaster(
            transforms=_geometry()[:1],
            share_random_params=False)(_loaded(clip))
        shapes.add(len(set(results['img_shape'])))
    assert max(shapes) > 1


def _same_frames(clip):
    """A clip whose three frames are the same image."""
    results = _loaded(clip)
    results['img'] = [results['img'][0].copy() for _ in range(3)]
    return results


def test_photometric_is_clip_consistent(clip):
    for seed in range(4):
        np.random.seed(seed)
        results = TransformBroadcaster(
            transforms=[VideoPhotoMetricDistortion()],
            share_random_params=True)(_same_frames(clip))
        assert all(
            np.array_equal(results['img'][0], img) for img in results['img'])
        loaded = _loaded(clip)
        np.random.seed(seed)
        results = TransformBroadcaster(
            transforms=[VideoPhotoMetricDistortion()],
            share_random_params=True)(copy.deepcopy(loaded))
        for i in range(3):
            np.random.seed(seed)
            expected = VideoPhotoMetricDistortion()(
                dict(img=loaded['img'][i].copy()))
            np.testing.assert_array_equal(results['img'][i], expected['img'])


def test_photometric_per_frame_without_sharing(clip):
    differs, changed = [], []
    for seed in range(4):
        np.random.seed(seed)
        source = _same_frames(clip)
        original = source['img'][0].copy()
        results = TransformBroadcaster(
            transforms=[VideoPhotoMetricDistortion()],
            share_random_params=False)(source)
        differs.append(not all(
            np.array_equal(results['img'][0], img) for img in results['img']))
        changed.append(not np.array_equal(results['img'][0], original))
    assert any(differs) and any(changed)


def test_photometric_applies_mmseg_steps():
    """Fixed draws reproduce mmseg's steps (``convert`` and HSV shifts)."""
    transform = VideoPhotoMetricDistortion()
    img = np.random.default_rng(0).integers(0, 256, (4, 5, 3), np.uint8)
    params = dict(brightness=10.0, contrast_first=True, contrast=1.5,
                  saturation=None, hue=None)
    transform._random_params = lambda: params
    expected = transform.convert(transform.convert(img, beta=10.0),
                                 alpha=1.5)
    np.testing.assert_array_equal(
        transform(dict(img=img.copy()))['img'], expected)
    params.update(brightness=None, contrast=None, hue=30)
    hsv = mmcv.bgr2hsv(img)
    hsv[..., 0] = (hsv[..., 0].astype(int) + 30) % 180
    np.testing.assert_array_equal(
        transform(dict(img=img.copy()))['img'], mmcv.hsv2bgr(hsv))
    assert repr(VideoPhotoMetricDistortion()).startswith(
        'VideoPhotoMetricDistortion(brightness_delta=32, ')


def test_gaussian_blur_is_opencv_and_shared_by_the_clip(clip):
    loaded = _loaded(clip)
    blurred = [cv2.GaussianBlur(img, (5, 5), 0) for img in loaded['img']]
    outcomes = set()
    for seed in range(8):
        np.random.seed(seed)
        results = TransformBroadcaster(
            transforms=[RandomGaussianBlur()],
            share_random_params=True)(copy.deepcopy(loaded))
        done = [np.array_equal(img, ref)
                for img, ref in zip(results['img'], blurred)]
        kept = [np.array_equal(img, ref)
                for img, ref in zip(results['img'], loaded['img'])]
        assert all(done) or all(kept)  # every frame or none
        outcomes.add(all(done))
        for gt, ref in zip(results['gt_seg_map'], loaded['gt_seg_map']):
            assert gt is None or np.array_equal(gt, ref)
    assert outcomes == {True, False}
    always = RandomGaussianBlur(kernel_size=3, sigma=2.0, prob=1.0)
    out = always(dict(img=loaded['img'][0].copy()))
    np.testing.assert_array_equal(
        out['img'], cv2.GaussianBlur(loaded['img'][0], (3, 3), 2.0))


@pytest.mark.parametrize('kwargs, match', [
    (dict(kernel_size=4), 'odd'),
    (dict(sigma=-1.0), 'sigma'),
    (dict(prob=1.5), 'prob'),
])
def test_gaussian_blur_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomGaussianBlur(**kwargs)
