# Copyright (c) mmvseg contributors. All rights reserved.
"""DFF (FraunhoferIVI/SSP DFF2Wrapper) on the toy image model: key frames
are the image model, other frames the classifier on the warped feature."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from toy_video_models import (IMAGE_MODEL, H, K, W, assert_streams_lazily,
                              make_clip)

from mmvseg.models.flow import flow_warp
from mmvseg.registry import MODELS


class ConstantFlow(nn.Module):
    """A stub estimator: flow (u, v) px everywhere; records its calls."""

    def __init__(self, u=0.0, v=0.0):
        super().__init__()
        self.u, self.v, self.calls = u, v, []

    def forward(self, frames_t, frames_s, paths_t=None):
        self.calls.append((frames_t, frames_s))
        flow = frames_t.new_zeros(frames_t.shape[0], 2, *frames_t.shape[2:])
        flow[:, 0], flow[:, 1] = self.u, self.v
        return flow


def build_dff(u=0.0, image_model=IMAGE_MODEL, **kwargs):
    torch.manual_seed(0)
    cfg = dict(type='DFF', image_model=image_model,
               flow=dict(type=ConstantFlow, u=u))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def upsample(logits):
    return F.interpolate(logits, size=(H, W), mode='bilinear',
                         align_corners=False)


def test_key_frames_are_the_image_model():
    dff = build_dff(key_interval=2).eval()
    frames = torch.rand(5, 3, H, W)
    with torch.no_grad():
        logits = list(dff.predict_clip(frames, [None] * 5))
        for t in (0, 2, 4):
            assert torch.equal(logits[t],
                               dff.encode_decode(frames[t:t + 1], []))
    assert [tuple(x.shape) for x in logits] == [(1, K, H, W)] * 5


def test_zero_flow_non_key_frame_is_the_classifier_on_the_key_feature():
    frames = torch.rand(2, 3, H, W)
    exact = build_dff(legacy_grid=False).eval()
    with torch.no_grad():
        key_feature = exact.head_feature(exact.extract_feat(frames[:1]))
        logits = list(exact.predict_clip(frames, [None] * 2))
        cls = exact.decode_head.cls_seg(key_feature)
    assert torch.equal(logits[1], upsample(cls))
    # the repository's warp (default) moves a feature even with zero flow
    legacy = build_dff().eval()
    with torch.no_grad():
        logits = list(legacy.predict_clip(frames, [None] * 2))
        warped = flow_warp(key_feature, torch.zeros(1, 2, *cls.shape[2:]),
                           'bilinear', legacy_grid=True)
        assert torch.equal(logits[1],
                           upsample(legacy.decode_head.cls_seg(warped)))
    assert not torch.allclose(logits[1], upsample(cls))
    # flow f_{t->t-1} is asked for frame 1 -> frame 0 (RGB 0-255)
    (frames_t, frames_s), = legacy.flow.calls
    assert torch.equal(frames_t, legacy.denormalize(frames[1:]))
    assert torch.equal(frames_s, legacy.denormalize(frames[:1]))


def test_repository_warp_values():
    """Bilinear legacy warp (grid_sample align_corners=False on a grid
    normalised by W - 1) with zero flow given at 4x the feature's size: the
    sample position is x W / (W - 1) - 0.5, so a 3x4 feature with rows
    [1, 2, 3, 4] is read at x = -0.5, 5/6, 13/6, 3.5 and y = -0.5, 1, 2.5
    (zeros outside)."""
    dff = build_dff()
    feature = torch.tensor([1., 2, 3, 4]).expand(1, 1, 3, 4)
    out = dff.propagate(feature, torch.zeros(1, 2, 12, 16))
    row = torch.tensor([0.5, 11 / 6, 19 / 6, 2.0])
    torch.testing.assert_close(out[0, 0],
                               torch.stack([row / 2, row, row / 2]))


@pytest.mark.parametrize('propagation,shift', [('previous', 2), ('key', 1)])
def test_propagation_from_the_previous_frame_or_the_key(propagation, shift):
    """A 4 px flow at frame size is 1 px on the stride-4 feature grid:
    chained warps shift frame 2 by 2 columns, a warp from the key by 1."""
    dff = build_dff(u=4.0, legacy_grid=False, propagation=propagation,
                    key_interval=4).eval()
    frames = torch.rand(3, 3, H, W)
    with torch.no_grad():
        key_feature = dff.head_feature(dff.extract_feat(frames[:1]))
        logits = list(dff.predict_clip(frames, [None] * 3))
    shifted = torch.zeros_like(key_feature)
    shifted[..., :-shift] = key_feature[..., shift:]
    expected = upsample(dff.decode_head.cls_seg(shifted))
    assert torch.equal(logits[2], expected)
    _, (frames_t, frames_s) = dff.flow.calls
    rgb = dff.denormalize(frames)
    assert torch.equal(frames_t, rgb[2:])
    assert torch.equal(frames_s,
                       rgb[1:2] if propagation == 'previous' else rgb[:1])


def test_training_on_pairs():
    dff = build_dff(legacy_grid=False).train()
    inputs = torch.rand(2, 2, 3, H, W)
    clips = [make_clip(2, labelled=(1, ), key=[1], ref=[0]) for _ in range(2)]
    outputs = dff.forward_train(inputs, clips)
    # t's logits come from t-1's feature (zero flow, exact warp)
    expected = dff.encode_decode(inputs[:, 0], [])
    torch.testing.assert_close(outputs['key_logits'], expected)
    losses = dff.loss_by_outputs(outputs, clips)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    labels = torch.cat([c[1].gt_sem_seg.data for c in clips])
    torch.testing.assert_close(losses['decode.loss_ce'],
                               F.cross_entropy(expected, labels))
    with pytest.raises(ValueError, match='DFF trains on frame pairs'):
        dff.loss(torch.rand(1, 3, 3, H, W),
                 [make_clip(3, labelled=(2, ), key=[2], ref=[0, 1])])


def test_predict_sets_full_size_predictions():
    dff = build_dff(key_interval=2).eval()
    out = dff.predict(torch.rand(1, 3, 3, H, W), [make_clip()])[0]
    assert [f.pred_sem_seg.data.shape for f in out.video_data_samples] == \
        [(1, H, W)] * 3


def test_flow_network_is_trained_end_to_end():
    dff = build_dff(flow=dict(type='RAFTFlow', variant='small',
                              num_flow_updates=2, trainable=True)).train()
    assert dff.flow.model.training
    inputs = torch.rand(1, 2, 3, 128, 128) * 2 - 1
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0], size=(128, 128))
    dff.loss(inputs, [clip])['decode.loss_ce'].backward()
    grads = [p.grad for p in dff.flow.parameters()]
    assert grads and all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    assert all(p.grad is not None
               for p in dff.image_model.backbone.parameters())
    dff.eval()
    assert not dff.flow.model.training


def test_espnet_head_feature_at_stride_2():
    """ESPNetHead's feature is at stride 2 and its cls_seg upsamples 2x:
    DFF propagates at that stride and the logits come out at full size."""
    image_model = dict(
        type='EncoderDecoder',
        backbone=dict(type='ESPNetEncoder', p=1, q=1),
        decode_head=dict(type='ESPNetHead', channels=5, num_classes=K))
    dff = build_dff(image_model=image_model, legacy_grid=False).eval()
    frames = torch.rand(2, 3, H, W)
    with torch.no_grad():
        feature = dff.head_feature(dff.extract_feat(frames[:1]))
        logits = list(dff.predict_clip(frames, [None] * 2))
        assert feature.shape == (1, 5, H // 2, W // 2)
        assert torch.equal(logits[1], dff.decode_head.cls_seg(feature))
        assert torch.equal(logits[0], dff.encode_decode(frames[:1], []))


def test_bad_arguments():
    with pytest.raises(ValueError, match='flow estimator'):
        build_dff(flow=None)
    with pytest.raises(ValueError, match='key_interval'):
        build_dff(key_interval=0)
    with pytest.raises(ValueError, match='propagation'):
        build_dff(propagation='next')
    with pytest.raises(ValueError, match='warp_mode'):
        build_dff(warp_mode='bicubic')


def test_streamed_frames_give_the_clip_outputs():
    """``predict_clip`` streams (:func:`assert_streams_lazily`)."""
    dff = build_dff(u=4.0, key_interval=3).eval()
    assert_streams_lazily(dff, torch.rand(5, 3, H, W))
