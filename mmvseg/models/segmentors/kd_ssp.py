# Copyright (c) mmvseg contributors. All rights reserved.
"""KD-SSP: SSP trained on a teacher's logits instead of ground truth."""
from typing import Any, Dict, List, Tuple

import torch
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor

from mmvseg.models.utils import kd_consistent_logits
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .ssp import SSP


@MODELS.register_module()
class KDSSP(SSP):
    """SSP trained by knowledge distillation from a teacher (KD-SSP).

    Same network, training pairs and inference as :class:`SSP`; the loss
    has no ground-truth term (FraunhoferIVI/SSP ``kd_train_one_epoch``,
    ``models/video/models_consistency.py``
    ``ConsistencyWrapper.kd_get_consistent_logits``; paper: "High Temporal
    Consistency through Semantic Similarity Propagation in Semi-Supervised
    Video Semantic Segmentation for Autonomous Flight", arXiv 2503.15676,
    KD-SSP)::

        L = KD(O_t, T_t^c) + mu * KD(Z_{t-1}, T_{t-1}^c) + lambda_kd * L_tc

    with ``KD`` = ``loss_kd`` / ``loss_kd_prev`` (``SoftLabelKDLoss``,
    tau = 2; ``mu`` is ``loss_kd_prev.loss_weight``), ``L_tc`` SSP's
    consistency loss (``loss_tc``, ``loss_weight`` = lambda_kd = 135000 in
    the repository) and ``T^c`` the teacher logits of the two frames made
    consistent with the flow in both directions
    (:func:`mmvseg.models.utils.kd_consistent_logits`; raw teacher logits
    with ``consistent_targets=False``). One flow f_{t->t-1} serves the
    targets and ``L_tc`` (the repository runs RAFT twice, with 15 updates
    for the targets and 20 for ``L_tc``).

    The teacher logits come from the batch when the pipeline loads them
    (``LoadTeacherLogits``: a ``teacher_logits`` field on the frame
    samples, exported with ``tools/misc/export_logits.py``), else from the
    live teacher (``teacher=dict(model=..., checkpoint=...)``).

    Args:
        image_model, sim_head, registration, loss_tc, feature_index: as
            :class:`SSP` (``loss_tc`` defaults to the repository's weight).
        flow: flow estimator of ``loss_tc`` and of the consistent targets
            (f_{t->t-1} and f_{t-1->t}).
        loss_kd: KD loss on ``O_t``.
        loss_kd_prev: KD loss on ``Z_{t-1}`` (None: no such term).
        consistent_targets: average the teacher logits with the neighbour's
            warped ones where the flows agree (the repository's
            ``kd_consistent_labels: true``).
        occlusion: occlusion test of the consistent targets, ``'repo'`` or
            ``'warped'`` (see :func:`mmvseg.models.utils.flow_occlusion_mask`).
        **kwargs: :class:`SSP`'s and :class:`BaseVideoSegmentor`'s
            (``teacher``, ``freeze``, ``data_preprocessor``, ...).

    Raises:
        ValueError: ``consistent_targets`` without a flow estimator.
    """

    def __init__(self,
                 image_model: ConfigType,
                 sim_head: ConfigType,
                 flow: OptConfigType = dict(type='DISFlow'),
                 loss_tc: OptConfigType = dict(
                     type='TemporalConsistencyLoss', loss_weight=135000.),
                 loss_kd: ConfigType = dict(
                     type='SoftLabelKDLoss', temperature=2.0),
                 loss_kd_prev: OptConfigType = dict(
                     type='SoftLabelKDLoss',
                     temperature=2.0,
                     loss_weight=1.0,
                     loss_name='loss_kd_prev'),
                 consistent_targets: bool = True,
                 occlusion: str = 'repo',
                 **kwargs) -> None:
        super().__init__(
            image_model=image_model,
            sim_head=sim_head,
            flow=flow,
            loss_tc=loss_tc,
            **kwargs)
        if consistent_targets and self.flow is None:
            if not flow:
                raise ValueError('consistent_targets needs a flow estimator')
            self.flow = MODELS.build(flow)
        self.loss_kd = MODELS.build(loss_kd)
        self.loss_kd_prev = MODELS.build(loss_kd_prev) \
            if loss_kd_prev else None
        self.consistent_targets = consistent_targets
        self.occlusion = occlusion

    def teacher_targets(
            self, outputs: Dict[str, Any],
            data_samples: VideoSampleList) -> Tuple[Tensor, Tensor]:
        """Teacher logits ``(T_t, T_{t-1})``, each (N, K, H, W) float.

        From the frame samples' ``teacher_logits`` when the batch carries
        them, else from the live teacher on the network frames.

        Raises:
            ValueError: no teacher logits in the batch and no teacher; or
                loaded logits whose size differs from the network input (the
                data pre-processor padded the frames: crop to its size).
        """
        key, ref = self.key_and_ref_index(data_samples)
        key_samples = [sample[key[0]] for sample in data_samples]
        if all('teacher_logits' in s for s in key_samples):
            ref_samples = [sample[ref[0]] for sample in data_samples]
            size = tuple(outputs['key_frames'].shape[2:])
            return (self._stacked(key_samples, size),
                    self._stacked(ref_samples, size))
        if not self.with_teacher:
            raise ValueError(
                f'{type(self).__name__} trains on teacher logits: load them '
                "with LoadTeacherLogits (tools/misc/export_logits.py) or set "
                'teacher=dict(model=..., checkpoint=...)')
        return (self.teacher_logits(outputs['key_frames']),
                self.teacher_logits(outputs['ref_frames']))

    @staticmethod
    def _stacked(samples: List[SegDataSample], size: tuple) -> Tensor:
        logits = torch.stack([s.teacher_logits.data for s in samples])
        if tuple(logits.shape[2:]) != size:
            raise ValueError(
                f'teacher logits of size {tuple(logits.shape[2:])} for '
                f'network frames of size {size} '
                f'({samples[0].metainfo.get("img_path")}): the frames were '
                'padded by the data pre-processor; crop them to its size')
        return logits

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """KD on ``O_t`` (and ``Z_{t-1}``) against the (consistent) teacher
        targets, plus ``loss_tc``.

        Returns:
            dict: ``loss_kd`` (``loss_kd.loss_name``), ``loss_kd_prev``
            unless it is None, ``loss_tc`` unless it is None.
        """
        target_t, target_prev = self.teacher_targets(outputs, data_samples)
        flow_bw = None
        if self.consistent_targets or self.loss_tc is not None:
            with torch.no_grad():
                flow_bw = self.estimate_flow(outputs['key_frames'],
                                             outputs['ref_frames'])
        if self.consistent_targets:
            with torch.no_grad():
                flow_fw = self.estimate_flow(outputs['ref_frames'],
                                             outputs['key_frames'])
                target_t, target_prev = kd_consistent_logits(
                    target_t.float(), target_prev.float(), flow_bw, flow_fw,
                    self.occlusion)
        losses = {
            self.loss_kd.loss_name:
            self.loss_kd(outputs['fused_logits'], target_t)
        }
        if self.loss_kd_prev is not None:
            losses[self.loss_kd_prev.loss_name] = self.loss_kd_prev(
                outputs['ref_logits'], target_prev)
        if self.loss_tc is not None:
            losses[self.loss_tc.loss_name] = self._consistency_loss(
                outputs, flow_bw)
        return losses
