# Copyright (c) mmvseg contributors. All rights reserved.
"""The examples of docs/en/advanced_guides/new_methods.md, run on a toy
image model: a flow-based segmentor whose RAFT trains end to end and a
two-domain self-training method."""
import torch
import torch.nn.functional as F
from toy_video_models import IMAGE_MODEL, H, W, make_clip

from mmvseg.models.flow import warp_features
from mmvseg.models.segmentors import BaseVideoSegmentor, VideoEncoderDecoder
from mmvseg.registry import MODELS


class FeatureFlowSegmentor(BaseVideoSegmentor):
    """Key frames run the image model; other frames warp the previous
    frame's head feature with flow and run only the classifier."""

    def __init__(self, image_model, key_interval=8, **kwargs):
        super().__init__(image_model, **kwargs)
        self.key_interval = key_interval

    def classify(self, feature, size):
        return self.upsample_logits(self.decode_head.cls_seg(feature), size)

    def predict_clip(self, frames, frame_samples):
        for t in range(frames.shape[0]):
            if t % self.key_interval == 0:
                feature = self.head_feature(self.extract_feat(frames[t:t + 1]))
            else:
                flow = self.estimate_flow(frames[t:t + 1], frames[t - 1:t])
                feature = warp_features(feature, flow)
            yield self.classify(feature, frames.shape[2:])

    def forward_train(self, inputs, data_samples):
        key, ref = self.key_and_ref_index(data_samples)
        frames, frames_prev = inputs[:, key[0]], inputs[:, ref[0]]
        feats_prev = self.extract_feat(frames_prev)
        feature = warp_features(self.head_feature(feats_prev),
                                self.estimate_flow(frames, frames_prev))
        return dict(
            key_logits=self.classify(feature, frames.shape[2:]),
            ref_feats=feats_prev,
            key_samples=[sample[key[0]] for sample in data_samples])

    def loss_by_outputs(self, outputs, data_samples):
        return self.decode_losses(outputs['key_logits'], outputs['ref_feats'],
                                  outputs['key_samples'])


def build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type=FeatureFlowSegmentor, image_model=IMAGE_MODEL, key_interval=2,
        flow=dict(type='RAFTFlow', variant='small', num_flow_updates=2,
                  trainable=True), **kwargs))


def test_flow_segmentor_trains_its_flow_end_to_end():
    model = build().train()
    inputs = torch.rand(1, 2, 3, 128, 128) * 2 - 1
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0], size=(128, 128))
    losses = model.loss(inputs, [clip])
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    losses['decode.loss_ce'].backward()
    assert all(p.grad is not None for p in model.flow.parameters())
    assert all(p.grad is not None
               for p in model.image_model.decode_head.parameters())


def test_flow_segmentor_key_frames_are_the_image_model():
    model = build().eval()
    frames = torch.rand(3, 3, 128, 128) * 2 - 1
    with torch.no_grad():
        logits = list(model.predict_clip(frames, [None] * 3))
        expected = model.encode_decode(frames[::2], [])
    torch.testing.assert_close(logits[0], expected[:1])
    torch.testing.assert_close(logits[2], expected[1:])
    assert logits[1].shape == (1, 3, 128, 128)


class SelfTrainingSegmentor(VideoEncoderDecoder):
    """Source clips: the image model's losses. Target clips: cross-entropy
    on the model's own confident predictions (pseudo labels)."""

    def __init__(self, *args, threshold=0.9, target_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.threshold = threshold
        self.target_weight = target_weight

    def forward_train(self, inputs, data_samples):
        source = super().forward_train(inputs['source'],
                                       data_samples['source'])
        key, _ = self.key_and_ref_index(data_samples['target'])
        frames = inputs['target'][:, key[0]]
        logits = self.encode_decode(frames, [])
        confidence, pseudo_labels = logits.detach().softmax(1).max(1)
        pseudo_labels[confidence < self.threshold] = 255
        return dict(source=source, target_logits=logits,
                    pseudo_labels=pseudo_labels)

    def loss_by_outputs(self, outputs, data_samples):
        losses = super().loss_by_outputs(outputs['source'],
                                         data_samples['source'])
        losses['loss_target'] = self.target_weight * F.cross_entropy(
            outputs['target_logits'], outputs['pseudo_labels'],
            ignore_index=255)
        return losses


def test_two_domain_method_adds_a_target_loss():
    torch.manual_seed(0)
    model = MODELS.build(dict(type=SelfTrainingSegmentor,
                              image_model=IMAGE_MODEL))
    inputs = dict(source=torch.rand(2, 2, 3, H, W),
                  target=torch.rand(2, 3, 3, H, W))
    logits = model.encode_decode(inputs['target'][:, 2], [])
    confidence, labels = logits.softmax(1).max(1)
    model.threshold = confidence.median().item()
    labels[confidence < model.threshold] = 255
    samples = dict(
        source=[make_clip(2, labelled=(1, ), key=[1], ref=[0])
                for _ in range(2)],
        target=[make_clip(3, labelled=(), key=[2], ref=[0, 1])
                for _ in range(2)])
    losses = model.loss(inputs, samples)
    source_only = model.loss_by_outputs(
        dict(source=VideoEncoderDecoder.forward_train(
            model, inputs['source'], samples['source']),
            target_logits=torch.zeros(2, 3, H, W),
            pseudo_labels=torch.full((2, H, W), 255)), samples)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg', 'loss_target'}
    assert torch.equal(losses['decode.loss_ce'],
                       source_only['decode.loss_ce'])
    assert (labels != 255).any() and (labels == 255).any()
    torch.testing.assert_close(
        losses['loss_target'],
        F.cross_entropy(logits, labels, ignore_index=255))
    losses['loss_target'].backward()
    assert all(p.grad is not None for p in model.image_model.parameters())
