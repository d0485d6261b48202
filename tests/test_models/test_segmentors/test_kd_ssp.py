# Copyright (c) mmvseg contributors. All rights reserved.
"""KD-SSP on the toy image model: targets from the batch or a live teacher,
consistent targets, the loss terms, no ground truth."""
import pytest
import torch
from mmengine.structures import PixelData
from torch import nn
from toy_video_models import IMAGE_MODEL, H, K, W, make_clip

from mmvseg.models.losses import SoftLabelKDLoss, TemporalConsistencyLoss
from mmvseg.models.utils import kd_consistent_logits
from mmvseg.registry import MODELS


class ShiftFlow(nn.Module):
    """A stub estimator of consistent flows: +1 px in x on its 1st, 3rd, ...
    call (KD-SSP asks f_{t->t-1} first), -1 px on the others (f_{t-1->t})."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, frames_t, frames_s, paths_t=None):
        flow = frames_t.new_zeros(frames_t.shape[0], 2, *frames_t.shape[2:])
        flow[:, 0] = 1.0 if self.calls % 2 == 0 else -1.0
        self.calls += 1
        return flow


def build(**kwargs):
    cfg = dict(
        type='KDSSP',
        image_model=IMAGE_MODEL,
        sim_head=dict(type='ConvSimilarityHead', in_channels=4, channels=4),
        registration=dict(type='HomographyRegistration', method='identity'),
        flow=dict(type=ShiftFlow),
        feature_index=0)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def pair_batch(with_logits=True, size=(H, W)):
    """Two (t-1, t) clips without labels; teacher logits on both frames."""
    torch.manual_seed(1)
    clips = [make_clip(2, labelled=(), key=[1], ref=[0], size=size)
             for _ in range(2)]
    if with_logits:
        for clip in clips:
            for frame in clip.video_data_samples:
                frame.teacher_logits = PixelData(
                    data=torch.randn(K, H, W) * 3)
    return torch.rand(2, 2, 3, H, W), clips


def stacked(clips, t):
    return torch.stack(
        [c.video_data_samples[t].teacher_logits.data for c in clips])


def test_loss_is_kd_on_consistent_targets_plus_tc():
    model = build()
    inputs, clips = pair_batch()
    outputs = model.forward_train(inputs, clips)
    losses = model.loss_by_outputs(outputs, clips)
    assert set(losses) == {'loss_kd', 'loss_kd_prev', 'loss_tc'}
    flow = torch.zeros(2, 2, H, W)
    flow[:, 0] = 1.0
    target_t, target_prev = kd_consistent_logits(
        stacked(clips, 1), stacked(clips, 0), flow, -flow, 'repo')
    assert model.flow.calls == 2  # f_{t->t-1} serves the targets and L_tc
    kd = SoftLabelKDLoss(temperature=2.0)
    torch.testing.assert_close(losses['loss_kd'],
                               kd(outputs['fused_logits'], target_t))
    torch.testing.assert_close(losses['loss_kd_prev'],
                               kd(outputs['ref_logits'], target_prev))
    tc = TemporalConsistencyLoss(loss_weight=135000.)
    rgb = model.denormalize(outputs['key_frames'])
    rgb_prev = model.denormalize(outputs['ref_frames'])
    torch.testing.assert_close(
        losses['loss_tc'],
        tc(outputs['fused_logits'], outputs['ref_logits'], flow,
           tc.prepare_frames(rgb), tc.prepare_frames(rgb_prev)))
    # no ground truth anywhere, and gradients reach the student
    sum(losses.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.sim_head.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.image_model.parameters())


def test_raw_targets_and_switches():
    model = build(consistent_targets=False, loss_tc=None, loss_kd_prev=None)
    inputs, clips = pair_batch()
    outputs = model.forward_train(inputs, clips)
    losses = model.loss_by_outputs(outputs, clips)
    assert set(losses) == {'loss_kd'}
    torch.testing.assert_close(
        losses['loss_kd'],
        SoftLabelKDLoss()(outputs['fused_logits'], stacked(clips, 1)))
    # the consistent targets differ from the raw ones on this batch
    consistent = build().loss_by_outputs(outputs, clips)['loss_kd']
    assert not torch.allclose(consistent, losses['loss_kd'])


def test_live_teacher_gives_the_targets(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    torch.manual_seed(3)
    torch.save(dict(state_dict=MODELS.build(IMAGE_MODEL).state_dict()), path)
    model = build(
        consistent_targets=False,
        loss_tc=None,
        teacher=dict(model=IMAGE_MODEL, checkpoint=path))
    inputs, clips = pair_batch(with_logits=False)
    outputs = model.forward_train(inputs, clips)
    losses = model.loss_by_outputs(outputs, clips)
    kd = SoftLabelKDLoss()
    with torch.no_grad():
        target_t = model.teacher_logits(outputs['key_frames'])
        target_prev = model.teacher_logits(outputs['ref_frames'])
    torch.testing.assert_close(losses['loss_kd'],
                               kd(outputs['fused_logits'], target_t))
    torch.testing.assert_close(
        losses['loss_kd_prev'], kd(outputs['ref_logits'], target_prev))


def test_errors_name_the_problem():
    inputs, clips = pair_batch(with_logits=False)
    model = build()
    with pytest.raises(ValueError, match='KDSSP trains on teacher logits'):
        model.loss(inputs, clips)
    inputs, clips = pair_batch()
    padded = torch.rand(2, 2, 3, H + 4, W)
    with pytest.raises(ValueError, match=r'teacher logits of size \(16, 24\) '
                       r'for network frames of size \(20, 24\).*toy/1.png'):
        model.loss(padded, clips)
    with pytest.raises(ValueError, match='needs a flow estimator'):
        build(flow=None, loss_tc=None)


def test_inference_is_ssp():
    model = build().eval()
    ssp = MODELS.build(
        dict(
            type='SSP',
            image_model=IMAGE_MODEL,
            sim_head=dict(
                type='ConvSimilarityHead', in_channels=4, channels=4),
            registration=dict(
                type='HomographyRegistration', method='identity'),
            loss_tc=None,
            feature_index=0)).eval()
    ssp.load_state_dict(model.state_dict())
    inputs = torch.rand(1, 3, 3, H, W)
    torch.testing.assert_close(model._forward(inputs), ssp._forward(inputs))
