# Copyright (c) mmvseg contributors. All rights reserved.
"""NetWarp (FraunhoferIVI/SSP NetWarpWrapper, FlowCNN) on the toy image
model: per-level merge of warped features, flow refinement, recurrence."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from toy_video_models import (IMAGE_MODEL, H, K, W, assert_streams_lazily,
                              make_clip)

from mmvseg.models.flow import flow_warp
from mmvseg.models.video_blocks import NetWarpFlowCNN
from mmvseg.registry import MODELS

LEVELS = [4, 8]  # the toy backbone's two levels


class RandomFlow(nn.Module):
    """A stub estimator: a fixed random flow of up to 3 px."""

    def forward(self, frames_t, frames_s, paths_t=None):
        generator = torch.Generator().manual_seed(1)
        return (torch.rand(frames_t.shape[0], 2, *frames_t.shape[2:],
                           generator=generator) - 0.5) * 6


class ZeroFlow(nn.Module):

    def forward(self, frames_t, frames_s, paths_t=None):
        return frames_t.new_zeros(frames_t.shape[0], 2, *frames_t.shape[2:])


def build_netwarp(flow=dict(type=RandomFlow), **kwargs):
    torch.manual_seed(0)
    cfg = dict(type='NetWarp', image_model=IMAGE_MODEL, flow=flow,
               in_channels=LEVELS)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_initial_merge_weights_give_the_image_model():
    netwarp = build_netwarp().eval()
    assert [w.flatten().tolist() for w in netwarp.current_weights] == \
        [[1.0] * c for c in LEVELS]
    assert [w.flatten().tolist() for w in netwarp.past_weights] == \
        [[0.0] * c for c in LEVELS]
    per_frame = MODELS.build(dict(type='VideoEncoderDecoder',
                                  image_model=IMAGE_MODEL)).eval()
    per_frame.load_state_dict(netwarp.state_dict(), strict=False)
    inputs = torch.rand(1, 4, 3, H, W)
    with torch.no_grad():
        assert torch.equal(netwarp._forward(inputs),
                           per_frame._forward(inputs, [make_clip(4)]))
    # training too: the logits of t are the image model's
    netwarp.train()
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0])
    outputs = netwarp.forward_train(inputs[:, :2], [clip])
    assert torch.equal(outputs['key_logits'],
                       netwarp.encode_decode(inputs[:, 1], []))


def set_merge_weights(netwarp):
    generator = torch.Generator().manual_seed(2)
    for weights in (netwarp.current_weights, netwarp.past_weights):
        for w in weights:
            w.data = torch.rand(w.shape, generator=generator) * 2
    return netwarp


def test_merge_and_recurrence():
    """Zero flow, exact warp, no flow refinement: M_t = w_cur F_t +
    w_past M_{t-1} on every level, M_0 = F_0."""
    netwarp = set_merge_weights(build_netwarp(
        flow=dict(type=ZeroFlow), flow_cnn=None, legacy_grid=False)).eval()
    frames = torch.rand(3, 3, H, W)
    with torch.no_grad():
        logits = list(netwarp.predict_clip(frames, [None] * 3))
        merged = list(netwarp.extract_feat(frames[:1]))
        assert torch.equal(logits[0], netwarp.encode_decode(frames[:1], []))
        for t in (1, 2):
            feats = netwarp.extract_feat(frames[t:t + 1])
            merged = [
                c * f + p * m for f, m, c, p in zip(
                    feats, merged, netwarp.current_weights,
                    netwarp.past_weights)
            ]
            torch.testing.assert_close(
                logits[t], netwarp.decode_logits(merged, (H, W)))


def test_flow_is_refined_per_level():
    """The refined flow warps each level with the flow resized to its grid:
    level 0 (stride 2) with values x 1/2, level 1 (stride 4) x 1/4."""
    netwarp = set_merge_weights(build_netwarp()).train()
    inputs = torch.rand(1, 2, 3, H, W)
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0])
    outputs = netwarp.forward_train(inputs, [clip])
    raw = netwarp.estimate_flow(inputs[:, 1], inputs[:, 0])
    flow = netwarp.flow_cnn(raw, inputs[:, 1], inputs[:, 0])
    torch.testing.assert_close(outputs['flow'], flow)
    for level, (feat, feat_prev) in enumerate(
            zip(outputs['key_feats'], outputs['ref_feats'])):
        h, w = feat.shape[2:]
        small = F.interpolate(flow, size=(h, w), mode='bilinear',
                              align_corners=False) * (w / W)
        warped = flow_warp(feat_prev, small, 'bilinear', legacy_grid=True)
        torch.testing.assert_close(
            outputs['merged_feats'][level],
            netwarp.current_weights[level] * feat +
            netwarp.past_weights[level] * warped)


def test_training_outputs_and_loss():
    netwarp = build_netwarp().train()
    inputs = torch.rand(2, 2, 3, H, W)
    clips = [make_clip(2, labelled=(1, ), key=[1], ref=[0]) for _ in range(2)]
    outputs = netwarp.forward_train(inputs, clips)
    torch.testing.assert_close(outputs['ref_logits'],
                               netwarp.encode_decode(inputs[:, 0], []))
    losses = netwarp.loss_by_outputs(outputs, clips)
    labels = torch.cat([c[1].gt_sem_seg.data for c in clips])
    torch.testing.assert_close(
        losses['decode.loss_ce'],
        F.cross_entropy(outputs['key_logits'], labels))
    assert 'ref_logits' not in build_netwarp(
        decode_ref_frame=False).forward_train(inputs, clips)
    with pytest.raises(ValueError, match='NetWarp trains on frame pairs'):
        netwarp.loss(inputs, [make_clip(2, key=[0, 1]) for _ in range(2)])


def test_flow_network_and_flow_cnn_are_trained():
    netwarp = build_netwarp(flow=dict(
        type='RAFTFlow', variant='small', num_flow_updates=2,
        trainable=True)).train()
    inputs = torch.rand(1, 2, 3, 128, 128) * 2 - 1
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0], size=(128, 128))
    # at the initial weights the merge ignores t-1, so only w_past learns
    # (of the level the toy head reads)
    netwarp.loss(inputs, [clip])['decode.loss_ce'].backward()
    assert netwarp.past_weights[1].grad.abs().sum() > 0
    assert all(p.grad.abs().sum() == 0 for p in netwarp.flow.parameters())
    netwarp.zero_grad()
    for w in netwarp.past_weights:
        w.data.fill_(0.5)
    netwarp.loss(inputs, [clip])['decode.loss_ce'].backward()
    for module in (netwarp.flow, netwarp.flow_cnn):
        grads = [p.grad for p in module.parameters()]
        assert grads and all(g is not None for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


def test_flow_cnn_layout_and_input_order():
    """FlowCNN of FraunhoferIVI/SSP: 6,892 parameters; with hand-set weights
    passing through x_{t-1} (channel 0) and x_{t-1} - x_t (channel 0) the
    output is (relu(x_{t-1}) + f_x, relu(x_{t-1} - x_t) + f_y)."""
    cnn = NetWarpFlowCNN()
    assert sum(p.numel() for p in cnn.parameters()) == 6892
    assert [tuple(m.weight.shape) for m in cnn.modules()
            if isinstance(m, nn.Conv2d)] == [(16, 11, 3, 3), (32, 16, 3, 3),
                                             (2, 32, 3, 3), (2, 4, 3, 3)]
    with torch.no_grad():
        for conv in (cnn.refine[0], cnn.refine[2], cnn.refine[4], cnn.fuse):
            conv.weight.zero_()
            conv.bias.zero_()
        # inputs: [f_x, f_y, prev RGB, cur RGB, (prev - cur) RGB]
        cnn.refine[0].weight[0, 2, 1, 1] = 1  # prev R
        cnn.refine[0].weight[1, 8, 1, 1] = 1  # (prev - cur) R
        cnn.refine[2].weight[0, 0, 1, 1] = cnn.refine[2].weight[1, 1, 1,
                                                                1] = 1
        cnn.refine[4].weight[0, 0, 1, 1] = cnn.refine[4].weight[1, 1, 1,
                                                                1] = 1
        for c in range(2):  # [hidden x, hidden y, f_x, f_y]
            cnn.fuse.weight[c, c, 1, 1] = cnn.fuse.weight[c, c + 2, 1, 1] = 1
    flow = torch.randn(1, 2, 5, 7)
    frames, frames_prev = torch.rand(1, 3, 5, 7), torch.rand(1, 3, 5, 7)
    out = cnn(flow, frames, frames_prev)
    torch.testing.assert_close(out[:, 0], frames_prev[:, 0] + flow[:, 0])
    torch.testing.assert_close(
        out[:, 1], (frames_prev[:, 0] - frames[:, 0]).relu() + flow[:, 1])
    with pytest.raises(ValueError, match='NetWarpFlowCNN needs'):
        cnn(flow[..., :6], frames, frames_prev)
    with pytest.raises(ValueError, match='two positive ints'):
        NetWarpFlowCNN(channels=(16, ))


def test_bad_arguments_and_levels():
    with pytest.raises(ValueError, match='flow estimator'):
        build_netwarp(flow=None)
    with pytest.raises(ValueError, match='warp_mode'):
        build_netwarp(warp_mode='bicubic')
    # the toy head reads one level: the levels must be given
    with pytest.raises(ValueError, match='set in_channels'):
        build_netwarp(in_channels=None)
    netwarp = build_netwarp(in_channels=[4, 16]).eval()
    with pytest.raises(ValueError, match=r'built for levels of \[4, 16\]'):
        list(netwarp.predict_clip(torch.rand(2, 3, H, W), [None] * 2))


def test_levels_from_a_head_that_reads_them_all():
    image_model = dict(
        type='EncoderDecoder',
        backbone=dict(type='ESPNetEncoder', p=1, q=1),
        decode_head=dict(type='ESPNetHead', channels=5, num_classes=K))
    netwarp = build_netwarp(image_model=image_model, in_channels=None)
    assert netwarp.in_channels == [19, 131, 256]
    assert [w.shape[1] for w in netwarp.past_weights] == [19, 131, 256]


def test_streamed_frames_give_the_clip_outputs():
    """``predict_clip`` streams (:func:`assert_streams_lazily`)."""
    netwarp = set_merge_weights(build_netwarp()).eval()
    assert_streams_lazily(netwarp, torch.rand(4, 3, H, W))
