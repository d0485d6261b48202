# Copyright (c) mmvseg contributors. All rights reserved.
"""The shared mechanisms methods build on: teacher, freezing, outputs then
losses, trainable flow, features from inside the image model."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from toy_video_models import IMAGE_MODEL, H, W, make_clip

from mmvseg.models.segmentors import VideoEncoderDecoder
from mmvseg.registry import MODELS


def save_image_model(path, seed=1, prefix=''):
    torch.manual_seed(seed)
    model = MODELS.build(IMAGE_MODEL)
    state = {prefix + k: v for k, v in model.state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return model


def build_student(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=IMAGE_MODEL, **kwargs))


class KDVideoEncoderDecoder(VideoEncoderDecoder):
    """A distillation method in a few lines: one more loss term."""

    def loss_by_outputs(self, outputs, data_samples):
        losses = super().loss_by_outputs(outputs, data_samples)
        target = self.teacher_logits(outputs['key_frames']).softmax(1)
        losses['loss_kd'] = F.kl_div(
            outputs['key_logits'].log_softmax(1), target,
            reduction='batchmean')
        return losses


def test_teacher_is_frozen_outside_the_optimizer_and_the_checkpoint(
        tmp_path):
    path = str(tmp_path / 'teacher.pth')
    reference = save_image_model(path)
    student = build_student(
        teacher=dict(model=IMAGE_MODEL, checkpoint=path))
    student.train()
    teacher = student.teacher
    assert not teacher.training
    for name, value in reference.state_dict().items():
        assert torch.equal(teacher.state_dict()[name], value)
    assert all(not p.requires_grad for p in teacher.parameters())
    # no gradient reaches it through a distillation loss
    model = MODELS.build(dict(
        type=KDVideoEncoderDecoder, image_model=IMAGE_MODEL,
        teacher=dict(model=IMAGE_MODEL, checkpoint=path)))
    model.train()
    losses = model.loss(torch.rand(1, 2, 3, H, W),
                        [make_clip(2, labelled=(1, ), key=[1], ref=[0])])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None for p in model.image_model.parameters())
    # not in the optimizer, not in the state dict
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=0.1)))
    in_optim = {id(p) for g in optim.optimizer.param_groups
                for p in g['params']}
    assert not in_optim & {id(p) for p in model.teacher.parameters()}
    assert in_optim == {id(p) for p in model.parameters()}
    assert len(model.state_dict()) == len(build_student().state_dict())
    # a model without teacher loads the distilled weights strictly
    build_student().load_state_dict(model.state_dict(), strict=True)
    # moved with the student
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64


def test_loss_term_added_by_a_subclass(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_image_model(path)
    model = MODELS.build(dict(
        type=KDVideoEncoderDecoder, image_model=IMAGE_MODEL,
        teacher=dict(model=IMAGE_MODEL, checkpoint=path)))
    plain = build_student()
    plain.load_state_dict(model.state_dict())
    inputs = torch.rand(1, 2, 3, H, W)
    samples = [make_clip(2, labelled=(1, ), key=[1], ref=[0])]
    losses = model.loss(inputs, samples)
    expected = plain.loss(inputs, samples)
    assert set(losses) == set(expected) | {'loss_kd'}
    for key, value in expected.items():
        assert torch.equal(losses[key], value)
    logits = plain.encode_decode(inputs[:, 1], [])
    target = model.teacher.encode_decode(
        inputs[:, 1], [dict(img_shape=(H, W), pad_shape=(H, W))]).softmax(1)
    kd = (target * (target.log() - logits.log_softmax(1))).sum() / 1
    torch.testing.assert_close(losses['loss_kd'], kd)


def test_teacher_from_a_config_file_and_a_video_checkpoint(tmp_path):
    config = tmp_path / 'teacher.py'
    config.write_text(
        "model = dict(type='EncoderDecoder',\n"
        "    backbone=dict(type='ESPNetEncoder', p=1, q=1),\n"
        "    decode_head=dict(type='ESPNetHead', channels=5,\n"
        "                     num_classes=3))\n")
    cfg = Config.fromfile(str(config))
    torch.manual_seed(1)
    video = MODELS.build(dict(type='VideoEncoderDecoder',
                              image_model=cfg.model))
    path = str(tmp_path / 'video.pth')  # keys image_model.*
    torch.save(dict(state_dict=video.state_dict()), path)
    model = build_student(teacher=dict(model=str(config), checkpoint=path))
    for name, value in video.image_model.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[name], value)
    with pytest.raises(FileNotFoundError, match='nope.py'):
        build_student(teacher=dict(
            model=str(tmp_path / 'nope.py'), checkpoint=path)).teacher
    # ESPNetHead splits its forward as mmseg's heads do
    video.eval()
    feats = video.extract_feat(torch.rand(1, 3, 16, 24))
    feature = video.head_feature(feats)
    assert feature.shape == (1, 5, 8, 12)
    torch.testing.assert_close(video.decode_head.cls_seg(feature),
                               video.decode_head(feats))


def test_bad_teachers(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build_student(teacher=dict(
            model=IMAGE_MODEL, checkpoint=str(tmp_path / 'missing.pth'))
        ).teacher
    wrong = str(tmp_path / 'wrong.pth')
    torch.save(dict(state_dict=dict(weight=torch.ones(1))), wrong)
    with pytest.raises(RuntimeError, match='wrong.pth.*does not match'):
        build_student(teacher=dict(model=IMAGE_MODEL, checkpoint=wrong)
                      ).teacher
    with pytest.raises(ValueError, match='checkpoint'):
        build_student(teacher=dict(model=IMAGE_MODEL))
    with pytest.raises(RuntimeError, match='has no teacher'):
        build_student().teacher


def test_freeze_prefixes():
    model = build_student(freeze=['image_model.backbone'])
    model.train()
    assert not model.image_model.backbone.training
    assert model.image_model.decode_head.training
    assert all(not p.requires_grad
               for p in model.image_model.backbone.parameters())
    assert all(p.requires_grad
               for p in model.image_model.decode_head.parameters())
    whole = build_student(freeze=['image_model']).train()
    assert not any(m.training for m in whole.image_model.modules())
    assert not any(p.requires_grad for p in whole.parameters())
    with pytest.raises(ValueError, match='names no module'):
        build_student(freeze=['image_model.neck']).train()


def raft_small_model(**flow):
    return build_student(flow=dict(type='RAFTFlow', variant='small',
                                   num_flow_updates=2, **flow))


def test_trainable_flow_receives_gradients():
    frames = torch.rand(2, 3, 128, 128) * 2 - 1
    model = raft_small_model(trainable=True).train()
    assert model.flow.model.training
    flow = model.estimate_flow(frames[:1], frames[1:])
    assert flow.shape == (1, 2, 128, 128) and flow.requires_grad
    flow.abs().mean().backward()
    grads = [p.grad for p in model.flow.parameters()]
    assert grads and all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_flow_is_frozen_by_default():
    frames = torch.rand(2, 3, 128, 128) * 2 - 1
    model = raft_small_model().train()
    assert not model.flow.model.training
    assert not model.estimate_flow(frames[:1], frames[1:]).requires_grad
    with pytest.raises(TypeError):
        build_student(flow=dict(type='DISFlow', trainable=True))
    with pytest.raises(RuntimeError, match='no flow estimator'):
        build_student().estimate_flow(frames[:1], frames[1:])


def test_estimate_flow_sees_rgb_frames():
    seen = []

    class Spy(torch.nn.Module):

        def forward(self, frames_t, frames_s, paths_t=None):
            seen.append((frames_t, frames_s))
            return frames_t.new_zeros(frames_t.shape[0], 2,
                                      *frames_t.shape[2:])

    model = build_student(flow=dict(type=Spy), data_preprocessor=dict(
        type='VideoSegDataPreProcessor', mean=[10., 20., 30.],
        std=[2., 2., 2.], bgr_to_rgb=True))
    frames = torch.zeros(1, 3, 4, 4)
    model.estimate_flow(frames, frames + 1)
    assert seen[0][0][0, :, 0, 0].tolist() == [10., 20., 30.]
    assert seen[0][1][0, :, 0, 0].tolist() == [12., 22., 32.]


def test_head_feature_is_the_input_of_the_classifier():
    model = build_student().eval()
    feats = model.extract_feat(torch.rand(2, 3, H, W))
    feature = model.head_feature(feats)
    assert feature.shape == (2, 8, H // 4, W // 4)
    torch.testing.assert_close(
        model.decode_head.cls_seg(feature), model.decode_head(feats))


def test_head_feature_needs_the_split():

    class OneConvHead(BaseDecodeHead):

        def forward(self, inputs):
            return self.cls_seg(self._transform_inputs(inputs))

    image_model = dict(IMAGE_MODEL)
    image_model['decode_head'] = dict(
        type=OneConvHead, in_channels=8, in_index=1, channels=8,
        num_classes=3)
    model = MODELS.build(
        dict(type='VideoEncoderDecoder', image_model=image_model))
    with pytest.raises(TypeError, match='OneConvHead'):
        model.head_feature(model.extract_feat(torch.rand(1, 3, H, W)))
