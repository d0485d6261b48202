# Copyright (c) mmvseg contributors. All rights reserved.
"""ETC: a per-frame model trained for temporal consistency."""
from typing import Any, Dict, Tuple

import torch
import torch.nn.functional as F
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor

from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .video_encoder_decoder import VideoEncoderDecoder


@MODELS.register_module()
class ETC(VideoEncoderDecoder):
    """Any mmseg image model trained with ETC's temporal losses; inference is
    the image model alone, frame by frame (:class:`VideoEncoderDecoder`).

    Liu et al., "Efficient Semantic Video Segmentation with Per-frame
    Inference", ECCV 2020; irfanICMLL/ETC-Real-time-Per-frame-Semantic-
    video-segmentation ``model/flow_model.py`` (``FlowModel.cal_loss``,
    the temporal loss) and ``model/sd_model.py`` (the distillation terms).
    A training item is a labelled frame t and one other frame o of the same
    clip with the same augmentation (the dataset's
    ``ref_offsets=dict(choices=[3, 2, 1, -1, -2], num=1)``, key frame
    first), and::

        L = decode losses on t (the image model's heads: CE, auxiliary CE)
            + loss_tl(S_t, S_o, x_t, x_o, f_{t->o})
            [+ loss_kd(Z_t, T_t) + loss_kd(Z_o, T_o)]
            [+ loss_sd(Z_t, Z_o, T_t, T_o)]

    with ``S`` the logits upsampled to the frame size, ``Z`` / ``T`` the
    student's / the frozen teacher's decode-head logits at their own
    resolution (the teacher's resized bilinearly to the student's for
    ``loss_sd``), and ``f_{t->o}`` from the flow estimator without
    gradients. Each term is a config switch (None: off).

    Args:
        image_model: mmseg config of the per-frame model (e.g. PSPNet18 with
            an auxiliary head).
        flow: flow estimator config (DIS, RAFT with local weights, ...).
        loss_tl: ``TemporalMotionLoss`` config (st_weight = its
            ``loss_weight``) or None.
        loss_kd: ``PixelwiseKDLoss`` config or None; needs ``teacher``.
        loss_sd: ``PairwiseSimilarityDistillationLoss`` config or None;
            needs ``teacher``.
        **kwargs: :class:`BaseVideoSegmentor`'s (``teacher``, ``freeze``,
            ``logits_upsample``, ``data_preprocessor``, ...).

    Raises:
        ValueError: a distillation term without ``teacher``, or
            ``loss_tl`` without ``flow``.
    """

    def __init__(self,
                 image_model: ConfigType,
                 flow: OptConfigType = dict(type='DISFlow'),
                 loss_tl: OptConfigType = dict(
                     type='TemporalMotionLoss', loss_weight=0.1),
                 loss_kd: OptConfigType = None,
                 loss_sd: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(image_model=image_model, flow=flow, **kwargs)
        if (loss_kd or loss_sd) and not self.with_teacher:
            raise ValueError('ETC distillation (loss_kd / loss_sd) needs '
                             'teacher=dict(model=..., checkpoint=...)')
        if loss_tl and self.flow is None:
            raise ValueError('ETC loss_tl needs a flow estimator')
        self.loss_tl = MODELS.build(loss_tl) if loss_tl else None
        self.loss_kd = MODELS.build(loss_kd) if loss_kd else None
        self.loss_sd = MODELS.build(loss_sd) if loss_sd else None

    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """Outputs of a batch of (t, o) pairs, t the labelled key frame.

        Returns:
            dict: ``key_frames`` / ``ref_frames`` (N, 3, H, W) frames t / o;
            ``key_feats`` the features of t; ``key_raw_logits`` /
            ``ref_raw_logits`` (N, K, h, w) decode-head logits ``Z``;
            ``key_logits`` / ``ref_logits`` (N, K, H, W) the same upsampled
            (``S``); ``key_samples`` the N labelled frame samples of t.

        Raises:
            ValueError: not exactly one key and one reference frame per
                clip.
        """
        frames, frames_other, key = self.key_and_ref_pair(
            inputs, data_samples)
        size = frames.shape[2:]
        feats = self.extract_feat(frames)
        raw = self.decode_head.forward(feats)
        raw_other = self.decode_head.forward(self.extract_feat(frames_other))
        return dict(
            key_frames=frames,
            ref_frames=frames_other,
            key_feats=feats,
            key_raw_logits=raw,
            ref_raw_logits=raw_other,
            key_logits=self.upsample_logits(raw, size),
            ref_logits=self.upsample_logits(raw_other, size),
            key_samples=[sample[key] for sample in data_samples])

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """The image model's losses on t plus the enabled ETC terms.

        Returns:
            dict: ``decode.*`` (and ``aux.*``), ``loss_tl``, ``loss_kd``,
            ``loss_sd`` (the loss names of the configured modules).
        """
        losses = self.decode_losses(outputs['key_logits'],
                                    outputs['key_feats'],
                                    outputs['key_samples'])
        frames, frames_other = outputs['key_frames'], outputs['ref_frames']
        if self.loss_tl is not None:
            with torch.no_grad():
                flow = self.estimate_flow(frames, frames_other)
            losses[self.loss_tl.loss_name] = self.loss_tl(
                outputs['key_logits'], outputs['ref_logits'],
                self.loss_tl.prepare_frames(self.denormalize(frames)),
                self.loss_tl.prepare_frames(self.denormalize(frames_other)),
                flow)
        if self.loss_kd is None and self.loss_sd is None:
            return losses
        teacher_t, teacher_o = self.teacher_raw_logits(frames, frames_other)
        student_t, student_o = (outputs['key_raw_logits'],
                                outputs['ref_raw_logits'])
        if self.loss_kd is not None:
            losses[self.loss_kd.loss_name] = \
                self.loss_kd(student_t, teacher_t) + \
                self.loss_kd(student_o, teacher_o)
        if self.loss_sd is not None:
            size = student_t.shape[2:]
            losses[self.loss_sd.loss_name] = self.loss_sd(
                student_t, student_o, self._resized(teacher_t, size),
                self._resized(teacher_o, size))
        return losses

    def teacher_raw_logits(self, frames: Tensor,
                           frames_other: Tensor) -> Tuple[Tensor, Tensor]:
        """The teacher's decode-head logits (N, Kt, ht, wt) of both frames,
        without gradients (the teacher is an mmseg segmentor)."""
        teacher = self.teacher
        with torch.no_grad():
            return tuple(
                teacher.decode_head.forward(teacher.extract_feat(x))
                for x in (frames, frames_other))

    @staticmethod
    def _resized(logits: Tensor, size: Tuple[int, int]) -> Tensor:
        if tuple(logits.shape[2:]) == tuple(size):
            return logits
        return F.interpolate(
            logits, size=tuple(size), mode='bilinear', align_corners=True)
