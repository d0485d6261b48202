# Copyright (c) mmvseg contributors. All rights reserved.
"""``BaseVideoSegmentor.predict_stream``: frames pulled lazily, one at a
time, give exactly what ``predict`` gives on the whole clip."""
import gc
import weakref

import pytest
import torch
import torch.nn.functional as F
from toy_video_models import IMAGE_MODEL, H, W, make_clip

from mmvseg.models.segmentors import BaseVideoSegmentor
from mmvseg.registry import MODELS


def pan(num_frames=5, h=H * 4, w=W * 4, step=(3, 2)):
    """(T, 3, h, w) 0-255 frames of a smooth texture panning ``step`` px."""
    gen = torch.Generator().manual_seed(0)
    dx, dy = step
    noise = torch.rand(1, 3, (h + dy * num_frames) // 4 + 2,
                       (w + dx * num_frames) // 4 + 2, generator=gen)
    texture = F.interpolate(noise, scale_factor=4.0, mode='bicubic',
                            align_corners=False)[0].clamp(0, 1) * 255
    return torch.stack([
        texture[:, dy * t:dy * t + h, dx * t:dx * t + w].round()
        for t in range(num_frames)
    ])


def build(kind):
    torch.manual_seed(0)
    if kind == 'ssp':
        cfg = dict(
            type='SSP', image_model=IMAGE_MODEL,
            sim_head=dict(type='ConvSimilarityHead', in_channels=4,
                          channels=4),
            registration=dict(type='HomographyRegistration', method='sift'),
            loss_tc=None, feature_index=0)
    else:
        cfg = dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL)
    return MODELS.build(cfg).eval()


class Spy:
    """An iterator over frames that counts how many were pulled."""

    def __init__(self, frames):
        self.frames, self.pulled = frames, 0

    def __iter__(self):
        for frame in self.frames:
            self.pulled += 1
            yield frame


@pytest.mark.parametrize('kind', ['ssp', 'video_encoder_decoder'])
def test_stream_equals_predict_and_pulls_one_frame_at_a_time(kind):
    model = build(kind)
    frames = pan()
    num, size = frames.shape[0], tuple(frames.shape[2:])
    with torch.no_grad():
        clip = model.predict(frames[None], [make_clip(num, size=size)])[0]
        spy = Spy(list(frames))  # (3, H, W) items
        samples = make_clip(num, size=size).video_data_samples
        streamed = []
        for t, frame in enumerate(
                model.predict_stream(spy, iter(samples),
                                     keep_seg_logits=True)):
            assert spy.pulled == t + 1  # causal: frame t+1 not read yet
            streamed.append(frame)
    assert len(streamed) == num
    for ref, out in zip(clip.video_data_samples, streamed):
        assert torch.equal(ref.pred_sem_seg.data, out.pred_sem_seg.data)
        assert out.seg_logits.data.shape[1:] == size
    if kind == 'ssp':  # the state is carried: frame t > 0 is not Z_t
        with torch.no_grad():
            alone = model.encode_decode(frames[1:2], [])
        assert not torch.equal(streamed[1].seg_logits.data, alone[0])


def test_predict_clip_takes_tensors_or_items_of_both_shapes():
    model = build('ssp')
    frames = pan(3)
    with torch.no_grad():
        ref = list(model.predict_clip(frames, [None] * 3))
        items = [frames[0], frames[1:2], frames[2]]
        out = list(model.predict_clip(iter(items), [None] * 3))
    assert all(torch.equal(a, b) for a, b in zip(ref, out))


@pytest.mark.parametrize('frames,match', [
    (torch.zeros(2, 3, 4, 5, 6), r'\(T, 3, H, W\) tensor, got shape'),
    ([torch.zeros(3, 4, 5), torch.zeros(2, 3, 4, 5)], 'frame 1 of the stream'),
    ([torch.zeros(3, 4, 5), 'x'], 'frame 1 of the stream .* got str'),
])
def test_iter_frames_names_the_bad_frame(frames, match):
    with pytest.raises(ValueError, match=match):
        list(BaseVideoSegmentor.iter_frames(frames))


@pytest.mark.parametrize('kind', ['ssp', 'video_encoder_decoder'])
def test_a_stream_holds_a_bounded_number_of_samples(kind):
    """SSP never reads its frame samples: they must not pile up (as in an
    ``itertools.tee``) while a long video streams."""
    model = build(kind)
    frames = pan(3)
    alive = weakref.WeakSet()

    def samples():
        for _ in range(40):
            sample = make_clip(1, size=tuple(frames.shape[2:]))[0]
            alive.add(sample)
            yield sample

    held = []
    with torch.no_grad():
        stream = model.predict_stream(
            (frames[t % 3] for t in range(40)), samples())
        for t, frame in enumerate(stream):
            del frame
            if t % 10 == 9:  # a full collection is slow: every 10 frames
                gc.collect()
                held.append(len(alive))
    assert t == 39
    assert len(held) == 4 and max(held) <= 2


def test_stream_of_a_list_passes_the_list_to_predict_clip():
    """``predict`` hands ``predict_clip`` its list of samples, as before."""
    model = build('video_encoder_decoder')
    frames = pan(2)
    clip = make_clip(2, size=tuple(frames.shape[2:]))
    seen = []
    original = model.predict_clip

    def spy(frames, frame_samples):
        seen.append(frame_samples)
        return original(frames, frame_samples)

    model.predict_clip = spy
    with torch.no_grad():
        model.predict(frames[None], [clip])
    assert seen[0] is clip.video_data_samples
