# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvseg.models.data_preprocessors import VideoSegDataPreProcessor
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSegDataSample

MEAN, STD = [10., 20., 30.], [2., 4., 5.]


def _clip(num_frames, height, width, labelled, seed):
    """(T, 3, H, W) uint8 frames and their VideoSegDataSample."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randint(
        0, 256, (num_frames, 3, height, width), generator=generator,
        dtype=torch.uint8)
    frames = []
    for t in range(num_frames):
        frame = SegDataSample(metainfo=dict(frame_id=t))
        if t in labelled:
            frame.gt_sem_seg = PixelData(data=torch.randint(
                0, 3, (1, height, width), generator=generator))
        frames.append(frame)
    sample = VideoSegDataSample(
        metainfo=dict(key_frames_inds=[1], ref_frames_inds=[0]))
    sample.video_data_samples = frames
    return inputs, sample


def _batch():
    clips = [_clip(2, 4, 5, {0, 1}, 0), _clip(2, 3, 4, {1}, 1)]
    return dict(
        inputs=[c[0] for c in clips], data_samples=[c[1] for c in clips])


def test_training_normalises_and_pads():
    data = _batch()
    originals = [x.clone() for x in data['inputs']]
    gts = [f.gt_sem_seg.data.clone() for s in data['data_samples']
           for f in s.video_data_samples if 'gt_sem_seg' in f]
    preprocessor = MODELS.build(
        dict(type='VideoSegDataPreProcessor', mean=MEAN, std=STD,
             bgr_to_rgb=True, size=(6, 8), pad_val=-7, seg_pad_val=255))
    out = preprocessor(data, training=True)
    inputs, samples = out['inputs'], out['data_samples']
    assert inputs.shape == (2, 2, 3, 6, 8) and inputs.dtype == torch.float32
    assert inputs.is_contiguous()
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    for n, (height, width) in enumerate([(4, 5), (3, 4)]):
        rgb = originals[n][:, [2, 1, 0]].float()
        torch.testing.assert_close(inputs[n, :, :, :height, :width],
                                   (rgb - mean) / std)
        assert (inputs[n, :, :, height:] == -7).all()
        assert (inputs[n, :, :, :, width:] == -7).all()
        padding = {f.padding_size for f in samples[n].video_data_samples}
        assert padding == {(0, 8 - width, 0, 6 - height)}  # same per frame
        for frame in samples[n].video_data_samples:
            assert tuple(frame.img_shape) == (height, width)
            assert tuple(frame.pad_shape) == (6, 8)  # unlabelled ones too
    labelled = [f for s in samples for f in s.video_data_samples
                if 'gt_sem_seg' in f]
    assert len(labelled) == 3
    assert 'gt_sem_seg' not in samples[1][0]
    for frame, gt in zip(labelled, gts):
        height, width = gt.shape[-2:]
        assert frame.gt_sem_seg.data.shape == (1, 6, 8)
        torch.testing.assert_close(frame.gt_sem_seg.data[:, :height, :width],
                                   gt)
        assert (frame.gt_sem_seg.data[:, height:] == 255).all()
        assert (frame.gt_sem_seg.data[:, :, width:] == 255).all()
    assert all(isinstance(s, VideoSegDataSample) for s in samples)
    assert samples[0].key_frames_inds == [1]
    assert [f.frame_id for f in samples[1].video_data_samples] == [0, 1]


def test_training_size_divisor_same_pad_for_all_frames():
    preprocessor = VideoSegDataPreProcessor(size_divisor=4)
    out = preprocessor(_batch(), training=True)
    assert out['inputs'].shape == (2, 2, 3, 4, 8)
    for sample in out['data_samples']:
        assert len({f.padding_size for f in sample.video_data_samples}) == 1
    assert out['data_samples'][1][0].padding_size == (0, 4, 0, 1)


def test_test_mode_padding_and_stacking():
    inputs, sample = _clip(3, 5, 6, {0}, 2)
    preprocessor = VideoSegDataPreProcessor(
        mean=MEAN, std=STD, test_cfg=dict(size_divisor=4))
    out = preprocessor(
        dict(inputs=[inputs], data_samples=[sample]), training=False)
    assert out['inputs'].shape == (1, 3, 3, 8, 8)
    for frame in out['data_samples'][0].video_data_samples:
        assert frame.img_padding_size == (0, 2, 0, 3)
        assert tuple(frame.pad_shape) == (8, 8)
    assert out['data_samples'][0][0].gt_sem_seg.shape == (5, 6)  # unpadded
    assert (out['inputs'][0, :, :, 5:] == 0).all()
    plain = VideoSegDataPreProcessor()(
        dict(inputs=inputs[None], data_samples=None), training=False)
    torch.testing.assert_close(plain['inputs'], inputs[None].float())
    assert plain['data_samples'] is None


def test_bad_batches():
    preprocessor = VideoSegDataPreProcessor(size_divisor=1)
    data = _batch()
    data['inputs'][1] = data['inputs'][1][:1]
    with pytest.raises(ValueError, match='same number of frames'):
        preprocessor(data, training=True)
    data = _batch()
    data['data_samples'][0].video_data_samples = \
        data['data_samples'][0].video_data_samples[:1]
    with pytest.raises(ValueError, match='data sample 0 has 1 frames'):
        preprocessor(data, training=True)
    with pytest.raises(ValueError, match=r'\(T, C, H, W\)'):
        preprocessor(dict(inputs=[torch.zeros(3, 4, 4)], data_samples=None))


@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_denormalize_gives_back_rgb_0_255(bgr_to_rgb):
    pre = VideoSegDataPreProcessor(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=bgr_to_rgb)
    bgr = torch.randint(0, 256, (2, 3, 6, 8), dtype=torch.uint8)  # mmcv: BGR
    out = pre(dict(inputs=[bgr]))['inputs']
    assert out.shape == (1, 2, 3, 6, 8)
    rgb = pre.denormalize(out[0])
    torch.testing.assert_close(rgb, bgr.flip(1).float(), atol=1e-4, rtol=0)
    # (N, T, 3, H, W) as well, and values clamped to [0, 255]
    torch.testing.assert_close(pre.denormalize(out)[0], rgb)
    assert pre.denormalize(torch.full((1, 3, 1, 1), 1e3)).max() == 255


def test_denormalize_without_normalisation_only_swaps_channels():
    pre = VideoSegDataPreProcessor()
    frames = torch.tensor([10., 20., 30.]).view(1, 3, 1, 1)
    assert pre.denormalize(frames).flatten().tolist() == [30., 20., 10.]
