# Copyright (c) mmvseg contributors. All rights reserved.
"""ETC on the toy image model: the loss terms, inference = image model."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from toy_video_models import IMAGE_MODEL, H, W, make_clip

from mmvseg.models.losses import (PairwiseSimilarityDistillationLoss,
                                  PixelwiseKDLoss, TemporalMotionLoss)
from mmvseg.registry import MODELS


class ZeroFlow(nn.Module):

    def forward(self, frames_t, frames_s, paths_t=None):
        return frames_t.new_zeros(frames_t.shape[0], 2, *frames_t.shape[2:])


def teacher_checkpoint(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    torch.manual_seed(5)
    torch.save(dict(state_dict=MODELS.build(IMAGE_MODEL).state_dict()), path)
    return path


def build(**kwargs):
    cfg = dict(type='ETC', image_model=IMAGE_MODEL, flow=dict(type=ZeroFlow))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def pairs():
    """Two clips (t, o): the labelled key frame first, its reference after
    it, as the dataset's random offsets give."""
    torch.manual_seed(1)
    return torch.rand(2, 2, 3, H, W), [
        make_clip(2, labelled=(0, ), key=[0], ref=[1]) for _ in range(2)
    ]


def test_decode_loss_plus_temporal_loss():
    model = build()
    inputs, clips = pairs()
    outputs = model.forward_train(inputs, clips)
    losses = model.loss_by_outputs(outputs, clips)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg', 'loss_tl'}
    # CE on t only, as the image model scores it
    expected_ce = F.cross_entropy(
        outputs['key_logits'],
        torch.cat([c[0].gt_sem_seg.data for c in clips]))
    torch.testing.assert_close(losses['decode.loss_ce'], expected_ce)
    # temporal loss with the zero flow: the hand formula of ETC
    x_t = TemporalMotionLoss.prepare_frames(
        model.denormalize(inputs[:, 0]))
    x_o = TemporalMotionLoss.prepare_frames(
        model.denormalize(inputs[:, 1]))
    mask = torch.exp(-(x_t - x_o).sum(1, keepdim=True).abs())
    expected_tl = 0.1 * F.mse_loss(mask * outputs['key_logits'],
                                   mask * outputs['ref_logits'])
    torch.testing.assert_close(losses['loss_tl'], expected_tl)
    sum(v for k, v in losses.items() if 'loss' in k).backward()


def test_distillation_terms_from_the_live_teacher(tmp_path):
    model = build(
        loss_tl=None,
        loss_kd=dict(type='PixelwiseKDLoss'),
        loss_sd=dict(type='PairwiseSimilarityDistillationLoss'),
        teacher=dict(model=IMAGE_MODEL, checkpoint=teacher_checkpoint(
            tmp_path)))
    inputs, clips = pairs()
    outputs = model.forward_train(inputs, clips)
    losses = model.loss_by_outputs(outputs, clips)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg', 'loss_kd',
                           'loss_sd'}
    teacher = model.teacher
    with torch.no_grad():
        t_t, t_o = (teacher.decode_head(teacher.extract_feat(inputs[:, i]))
                    for i in (0, 1))
    z_t, z_o = outputs['key_raw_logits'], outputs['ref_raw_logits']
    kd = PixelwiseKDLoss()
    torch.testing.assert_close(losses['loss_kd'],
                               kd(z_t, t_t) + kd(z_o, t_o))
    torch.testing.assert_close(
        losses['loss_sd'],
        PairwiseSimilarityDistillationLoss()(z_t, z_o, t_t, t_o))


def test_inference_is_the_image_model():
    model = build().eval()
    per_frame = MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL)).eval()
    per_frame.load_state_dict(model.state_dict())
    inputs = torch.rand(1, 3, 3, H, W)
    torch.testing.assert_close(model._forward(inputs, [make_clip()]),
                               per_frame._forward(inputs, [make_clip()]))


def test_bad_configurations():
    with pytest.raises(ValueError, match='needs teacher'):
        build(loss_kd=dict(type='PixelwiseKDLoss'))
    with pytest.raises(ValueError, match='loss_tl needs a flow'):
        build(flow=None)
    model = build()
    with pytest.raises(ValueError, match='ETC trains on frame pairs'):
        model.loss(torch.rand(1, 3, 3, H, W),
                   [make_clip(3, labelled=(0, ), key=[0], ref=[1, 2])])
