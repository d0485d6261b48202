# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from toy_video_models import IMAGE_MODEL, H, K, W, make_clip

from mmvseg.models.utils import imagenet_normalize
from mmvseg.registry import MODELS


def build_ssp(alpha=None, **kwargs):
    sim_head = dict(type='ConvSimilarityHead', in_channels=4, channels=4) \
        if alpha is None else dict(type='ConstantSimilarityHead', alpha=alpha)
    cfg = dict(
        type='SSP', image_model=IMAGE_MODEL, sim_head=sim_head,
        registration=dict(type='HomographyRegistration', method='identity'),
        flow=dict(type=ZeroFlow), feature_index=0)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


class ZeroFlow(nn.Module):
    """A stub flow estimator (the loss test needs a known flow)."""

    def forward(self, frames_t, frames_s, paths_t=None):
        return frames_t.new_zeros(frames_t.shape[0], 2, *frames_t.shape[2:])


def test_alpha_zero_is_the_per_frame_image_model():
    inputs = torch.rand(1, 3, 3, H, W)
    ssp = build_ssp(alpha=0.0).eval()
    assert not ssp.propagates
    per_frame = MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL)).eval()
    per_frame.load_state_dict(ssp.state_dict(), strict=False)
    ssp_logits = ssp._forward(inputs)
    assert ssp_logits.shape == (1, 3, K, H, W)
    assert torch.allclose(ssp_logits, per_frame._forward(
        inputs, [make_clip()]), atol=1e-6)


def test_fusion_and_recurrence_with_constant_alpha():
    inputs = torch.rand(1, 3, 3, H, W)
    ssp = build_ssp(alpha=0.5).eval()
    z = torch.stack([ssp.encode_decode(inputs[0, t:t + 1], []) for t in
                     range(3)])
    o = ssp._forward(inputs)[0]
    o1 = 0.5 * z[0] + 0.5 * z[1]  # identity registration
    o2 = 0.5 * o1 + 0.5 * z[2]  # recurrent: the previous *output*
    assert torch.allclose(o[0], z[0][0], atol=1e-6)
    assert torch.allclose(o[1], o1[0], atol=1e-6)
    assert torch.allclose(o[2], o2[0], atol=1e-6)


def test_predict_sets_frames_and_state_stays_inside_one_call():
    ssp = build_ssp(alpha=1.0).eval()  # O_t = O_0: every frame as frame 0
    clip_a, clip_b = torch.rand(1, 3, 3, H, W), torch.rand(1, 3, 3, H, W)
    out = ssp.predict(clip_a, [make_clip()])[0]
    preds = [frame.pred_sem_seg.data for frame in out.video_data_samples]
    assert preds[0].shape == (1, H, W)
    assert all(torch.equal(p, preds[0]) for p in preds)
    assert 'seg_logits' not in out[0]
    alone = ssp.predict(clip_b, [make_clip()])[0][0].pred_sem_seg.data
    both = ssp.predict(torch.cat([clip_a, clip_b]),
                       [make_clip(), make_clip()])[1]
    assert torch.equal(both[0].pred_sem_seg.data, alone)


def panning_clip(num_frames=4, h=64, w=96, step=(3, 2)):
    """(T, 3, h, w) float 0-255 clip of a smooth random texture seen by a
    camera that pans ``step`` = (dx, dy) px a frame: frame t at p shows
    the texture at p + t * step, so H_{t-1->t} moves points by -step."""
    gen = torch.Generator().manual_seed(0)
    dx, dy = step
    noise = torch.rand(1, 3, (h + dy * num_frames) // 4 + 2,
                       (w + dx * num_frames) // 4 + 2, generator=gen)
    texture = F.interpolate(noise, scale_factor=4.0, mode='bicubic',
                            align_corners=False)[0]
    texture = (texture.clamp(0, 1) * 255).round()
    return torch.stack([
        texture[:, dy * t:dy * t + h, dx * t:dx * t + w]
        for t in range(num_frames)
    ])


def uncached_predict_clip(ssp, frames):
    """SSP.predict_clip registering each pair with ``registration(x_{t-1},
    x_t)``, i.e. describing every frame twice (the reference)."""
    size = frames.shape[2:]
    prev_out = prev_feat = None
    for t in range(frames.shape[0]):
        feats = ssp.extract_feat(frames[t:t + 1])
        out = ssp.decode_logits(feats, size)
        if prev_out is not None:
            out = ssp.fuse(prev_out, prev_feat, out, feats[0],
                           ssp._register(frames[t - 1:t], frames[t:t + 1]))
        prev_out, prev_feat = out, feats[0]
        yield out


@pytest.mark.parametrize('scale', [1.0, 0.5])
def test_predict_clip_describes_once_and_equals_pairwise_registration(scale):
    ssp = build_ssp(registration=dict(
        type='HomographyRegistration', method='sift', scale=scale)).eval()
    frames = panning_clip()
    homographies = []
    register = ssp.registration.register

    def spy(*args):
        homographies.append(register(*args))
        return homographies[-1]

    ssp.registration.register = spy
    with torch.no_grad():
        cached = list(ssp.predict_clip(frames, [None] * 4))
        reference = list(uncached_predict_clip(ssp, frames))
    assert len(cached) == len(reference) == 4
    assert all(torch.equal(a, b) for a, b in zip(cached, reference))
    # a real registration: the pan of (3, 2) px a frame is recovered
    assert len(homographies) == 3 + 3  # cached steps, then forward's
    corners = torch.tensor([[0., 95., 0., 95.], [0., 0., 63., 63.],
                            [1., 1., 1., 1.]])
    for homography in homographies[:3]:
        mapped = homography[0] @ corners
        shift = mapped[:2] / mapped[2:] - corners[:2]
        assert torch.allclose(shift, torch.tensor([[-3.], [-2.]]), atol=1.0)
    assert torch.equal(torch.cat(homographies[:3]),
                       torch.cat(homographies[3:]))


@pytest.mark.parametrize('alpha,describes', [(None, 4), (0.0, 0)])
def test_predict_clip_calls_describe_once_per_frame(alpha, describes):
    ssp = build_ssp(alpha, registration=dict(
        type='HomographyRegistration', method='sift')).eval()
    frames = panning_clip()
    described, registered = [], []
    describe, register = ssp.registration.describe, ssp.registration.register

    def spy_describe(x):
        described.append(x.clone())
        return describe(x)

    def spy_register(desc_src, desc_dst, size):
        registered.append((desc_src, desc_dst, size))
        return register(desc_src, desc_dst, size)

    ssp.registration.describe = spy_describe
    ssp.registration.register = spy_register
    with torch.no_grad():
        list(ssp.predict_clip(frames, [None] * 4))
        list(ssp.predict_clip(frames[:2], [None] * 2))  # a fresh clip
    assert len(described) == describes + describes // 2
    for t, x in enumerate(described[:describes]):
        assert torch.equal(x, ssp.denormalize(frames[t:t + 1]))
    assert len(registered) == max(describes - 1, 0) + describes // 4
    if describes:
        # frame t-1's description of the previous step, then frame t's
        assert registered[1][0][0].points is registered[0][1][0].points
        assert registered[0][2] == (64, 96)
        # the second clip starts afresh: its frames 0 and 1, not frame 3
        assert torch.equal(described[4], described[0])
        assert torch.equal(
            torch.from_numpy(registered[3][0][0].points),
            torch.from_numpy(registered[0][0][0].points))


def test_loss_and_gradients_with_a_frozen_image_model():
    ssp = build_ssp(freeze=['image_model'])
    ssp.train()
    assert not ssp.image_model.training
    samples = [make_clip(2, labelled=(0, 1), key=[1], ref=[0])
               for _ in range(2)]
    losses = ssp.loss(torch.rand(2, 2, 3, H, W), samples)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg', 'loss_tc'}
    (losses['decode.loss_ce'] + losses['loss_tc']).backward()
    assert all(p.grad is None for p in ssp.image_model.parameters())
    assert all(p.grad is not None for p in ssp.sim_head.parameters())


def test_loss_tc_uses_the_fused_output_and_previous_logits():
    ssp = build_ssp(alpha=0.0, loss_tc=dict(
        type='TemporalConsistencyLoss', loss_weight=1.0, legacy_grid=False))
    inputs = torch.rand(1, 2, 3, H, W)
    losses = ssp.loss(inputs, [make_clip(2, key=[1], ref=[0])])
    z0 = ssp.encode_decode(inputs[:, 0], [])
    z1 = ssp.encode_decode(inputs[:, 1], [])
    x0, x1 = (imagenet_normalize(ssp.denormalize(inputs[:, t]))
              for t in (0, 1))
    weight = torch.exp(-(x1 - x0).sum(1, keepdim=True).abs())  # zero flow
    assert losses['loss_tc'].item() == pytest.approx(
        (weight * (z1 - z0)**2).mean().item(), rel=1e-5)
    no_tc = build_ssp(alpha=0.0, loss_tc=None)
    assert 'loss_tc' not in no_tc.loss(inputs, [make_clip(2, key=[1],
                                                         ref=[0])])


def test_bad_training_batches():
    ssp = build_ssp()
    with pytest.raises(ValueError, match='SSP trains on frame pairs: '
                       'one key and one reference'):
        ssp.loss(torch.rand(1, 3, 3, H, W),
                 [make_clip(3, key=[2], ref=[0, 1])])
    with pytest.raises(ValueError, match='share their key'):
        ssp.loss(torch.rand(2, 2, 3, H, W),
                 [make_clip(2, key=[1], ref=[0]),
                  make_clip(2, key=[0], ref=[1])])
    with pytest.raises(ValueError, match=r'\(N, T, 3, H, W\)'):
        ssp.predict(torch.rand(3, 3, H, W), [make_clip()])


def test_image_model_checkpoint_loads_under_image_model():
    image_model = MODELS.build(IMAGE_MODEL)
    ssp = build_ssp()
    ssp.load_state_dict(image_model.state_dict(), strict=False)
    for name, value in image_model.state_dict().items():
        assert torch.equal(ssp.state_dict()['image_model.' + name], value)


def test_video_encoder_decoder_loss_on_key_frames_only():
    model = MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL))
    samples = [make_clip(2, labelled=(1, ), key=[1], ref=[0])]
    losses = model.loss(torch.rand(1, 2, 3, H, W), samples)
    assert 'decode.loss_ce' in losses


def test_video_encoder_decoder_bicubic_logits_in_loss_and_prediction():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL,
             logits_upsample='bicubic')).eval()
    frames = torch.rand(1, 2, 3, H, W)
    coarse = model.image_model.decode_head(
        model.image_model.extract_feat(frames[0]))
    expected = F.interpolate(coarse, size=(H, W), mode='bicubic',
                             align_corners=False)
    # prediction: bicubic logits, not mmseg's bilinear ones
    logits = torch.cat(list(model.predict_clip(frames[0], make_clip(2))))
    torch.testing.assert_close(logits, expected)
    bilinear = F.interpolate(coarse, size=(H, W), mode='bilinear',
                             align_corners=False)
    assert not torch.allclose(logits, bilinear)
    # loss: cross-entropy of the bicubic logits of the key frame
    samples = [make_clip(2, labelled=(1, ), key=[1], ref=[0])]
    loss = model.loss(frames, samples)['decode.loss_ce']
    label = samples[0][1].gt_sem_seg.data[0].long()
    torch.testing.assert_close(
        loss, F.cross_entropy(expected[1:], label[None], ignore_index=255))


def test_video_encoder_decoder_bicubic_needs_whole_inference():
    image_model = IMAGE_MODEL.copy()
    image_model['test_cfg'] = dict(mode='slide', crop_size=(8, 8),
                                   stride=(4, 4))
    with pytest.raises(ValueError, match="mode='whole'"):
        MODELS.build(dict(type='VideoEncoderDecoder', image_model=image_model,
                          logits_upsample='bicubic'))
