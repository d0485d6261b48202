# Copyright (c) mmvseg contributors. All rights reserved.
from typing import Any, Dict, Iterable, Iterator, Optional, Union

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvseg.models.decode_heads.similarity_heads import ConstantSimilarityHead
from mmvseg.models.registration import scale_homography, warp_homography
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .base_video import BaseVideoSegmentor


@MODELS.register_module()
class SSP(BaseVideoSegmentor):
    """Semantic Similarity Propagation ("High Temporal Consistency through
    Semantic Similarity Propagation in Semi-Supervised Video Semantic
    Segmentation for Autonomous Flight", CVPR 2025, arXiv 2503.15676; code:
    FraunhoferIVI/SSP ``models/video/models_consistency.py``).

    A causal video model around a per-frame image model. For frame t with
    per-frame logits ``Z_t`` (N, K, H, W) and the previous output ``O_{t-1}``:

        H_{t-1->t} = registration(x_{t-1}, x_t)           (N, 3, 3) homography
        alpha_t    = sim_head(W_h(F_{t-1}, S H S^-1), F_t) (N, 1, h, w) in [0, 1]
        O_t        = alpha_t * W_h(O_{t-1}, H) + (1 - alpha_t) * Z_t

        with F the image model's ``feature_index``-th backbone feature at
        stride s (S = diag(1/s, 1/s, 1)), W_h the bilinear homography warp
        with zeros outside frame t-1, and alpha upsampled bilinearly to
        (H, W). O_0 = Z_0. Fusion is in logit space at input resolution.

    Inference runs causally over each clip from its first frame with fresh
    state (recurrent: O_{t-1} is the previous fused output, F_{t-1} the
    previous frame's own features). Training takes (t-1, t) pairs where t is
    a labelled key frame: both frames go through the image model (previous
    frame first, separate calls), ``O_t`` fuses ``Z_{t-1}`` (no recurrence),
    and the loss is the decode head's loss on O_t (cross-entropy) plus
    ``loss_tc`` (``TemporalConsistencyLoss``) with flow f_{t->t-1}.

    The repository's ablations are config switches: ``sim_head`` type
    ``ConvSimilarityHead`` / ``CosineSimilarityHead`` /
    ``ConstantSimilarityHead(alpha=0.)`` (no interpolation), ``registration``
    method ``identity`` (no registration), ``loss_tc=None`` or
    ``loss_weight=0`` (no consistency loss), ``loss_tc.loss_weight`` (the
    lambda sweep).

    Args:
        image_model: mmseg config of the per-frame model.
        sim_head: similarity head config (alpha).
        registration: config of a ``BaseRegistration`` subclass
            (``HomographyRegistration``, ``DiskLightGlueRegistration``).
        flow: flow estimator config, used by ``loss_tc`` only.
        loss_tc: ``TemporalConsistencyLoss`` config or None.
        feature_index: which backbone output feeds the similarity head
            (FraunhoferIVI/SSP: Hiera level 1, stride 4).
        **kwargs: ``teacher``, ``freeze``, ``logits_upsample``,
            ``keep_seg_logits`` of :class:`BaseVideoSegmentor`.
    """

    def __init__(self,
                 image_model: ConfigType,
                 sim_head: ConfigType,
                 registration: ConfigType = dict(
                     type='HomographyRegistration', method='sift'),
                 flow: OptConfigType = dict(type='DISFlow'),
                 loss_tc: OptConfigType = dict(
                     type='TemporalConsistencyLoss', loss_weight=0.5),
                 feature_index: int = 0,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs):
        super().__init__(
            image_model=image_model,
            flow=flow if loss_tc else None,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            **kwargs)
        self.sim_head = MODELS.build(sim_head)
        self.registration = MODELS.build(registration)
        self.loss_tc = MODELS.build(loss_tc) if loss_tc else None
        self.feature_index = feature_index

    @property
    def propagates(self) -> bool:
        """False when alpha is the constant 0 (O_t = Z_t)."""
        return not (isinstance(self.sim_head, ConstantSimilarityHead)
                    and self.sim_head.alpha == 0.0)

    def fuse(self, prev_logits: Tensor, prev_feat: Tensor, logits: Tensor,
             feat: Tensor, homography: Tensor) -> Tensor:
        """O_t from the previous output/features and frame t's.

        Args:
            prev_logits: (N, K, H, W) O_{t-1} (training: Z_{t-1}).
            prev_feat: (N, C, h, w) F_{t-1}.
            logits: (N, K, H, W) Z_t.
            feat: (N, C, h, w) F_t.
            homography: (N, 3, 3) H_{t-1->t} on input pixel coordinates,
                on any device (the warps invert it on the CPU).

        Returns:
            Tensor: (N, K, H, W) fused logits O_t.
        """
        scale = feat.shape[-1] / logits.shape[-1]
        aligned_feat = warp_homography(prev_feat,
                                       scale_homography(homography, scale))
        alpha = self.sim_head(aligned_feat, feat)
        alpha = F.interpolate(
            alpha, size=logits.shape[2:], mode='bilinear',
            align_corners=False)
        return alpha * warp_homography(prev_logits, homography) + \
            (1 - alpha) * logits

    def _register(self, frames_prev: Tensor, frames: Tensor) -> Tensor:
        with torch.no_grad():
            return self.registration(
                self.denormalize(frames_prev), self.denormalize(frames))

    def _describe(self, frame: Tensor) -> list:
        with torch.no_grad():
            return self.registration.describe(self.denormalize(frame))

    def predict_clip(self, frames: Union[Tensor, Iterable[Tensor]],
                     frame_samples: Iterable[SegDataSample]
                     ) -> Iterator[Tensor]:
        """Yield O_t (1, K, H, W) for t = 0 .. T-1 of one clip.

        ``frames`` is a (T, 3, H, W) clip or a lazy iterable of frames
        (:meth:`iter_frames`); the recurrent state (O_{t-1}, F_{t-1} and the
        description of frame t-1) lives in this generator, so frames streamed
        one at a time give the same outputs as the whole clip.

        Each frame is described once for registration
        (``registration.describe``, when the model propagates) and its
        description kept for the next step, which registers it to frame t
        with ``registration.register``; this gives the same H as
        ``registration(x_{t-1}, x_t)``.
        """
        prev_out = prev_feat = prev_desc = None
        for frame in self.iter_frames(frames):
            size = tuple(frame.shape[2:])
            feats = self.extract_feat(frame)
            out = self.decode_logits(feats, size)
            if self.propagates:
                desc = self._describe(frame)
                if prev_out is not None:
                    with torch.no_grad():
                        # stays on the CPU: the warps invert it there
                        homography = self.registration.register(
                            prev_desc, desc, size)
                    out = self.fuse(prev_out, prev_feat, out,
                                    feats[self.feature_index], homography)
                prev_desc = desc
            prev_out, prev_feat = out, feats[self.feature_index]
            yield out

    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """Outputs of a batch of (t-1, t) pairs, t the labelled key frame.

        Both frames go through the image model (t-1 first, separate calls),
        then ``O_t`` fuses ``Z_{t-1}`` into ``Z_t`` (no recurrence).

        Args:
            inputs: (N, T, 3, H, W) clips holding a key frame t and its
                reference t-1 (``key_frames_inds``/``ref_frames_inds``).
            data_samples: N ``VideoSegDataSample``; key frames labelled.

        Returns:
            dict: ``key_frames`` / ``ref_frames`` (N, 3, H, W) network
            frames t / t-1; ``key_feats`` / ``ref_feats`` their backbone
            levels; ``key_logits`` / ``ref_logits`` (N, K, H, W) ``Z_t`` /
            ``Z_{t-1}``; ``fused_logits`` (N, K, H, W) ``O_t`` (``Z_t`` when
            the model does not propagate); ``key_samples`` the N labelled
            frame samples of t.

        Raises:
            ValueError: a batch without exactly one key and one reference
                frame per clip.
        """
        frames, frames_prev, key = self.key_and_ref_pair(inputs, data_samples)
        size = frames.shape[2:]
        feats_prev = self.extract_feat(frames_prev)
        logits_prev = self.decode_logits(feats_prev, size)
        feats = self.extract_feat(frames)
        logits = self.decode_logits(feats, size)
        out = logits
        if self.propagates:
            out = self.fuse(logits_prev, feats_prev[self.feature_index],
                            logits, feats[self.feature_index],
                            self._register(frames_prev, frames))
        return dict(
            key_frames=frames,
            ref_frames=frames_prev,
            key_feats=feats,
            ref_feats=feats_prev,
            key_logits=logits,
            ref_logits=logits_prev,
            fused_logits=out,
            key_samples=[sample[key] for sample in data_samples])

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """The image model's losses on ``O_t`` + lambda * L_tc.

        Returns:
            dict: ``decode.loss_ce``, ``decode.acc_seg`` (and ``aux.*`` when
            the image model has an auxiliary head, on frame t's features),
            and ``loss_tc`` (``TemporalConsistencyLoss`` on ``O_t`` and
            ``Z_{t-1}`` with the flow f_{t->t-1}) unless ``loss_tc`` is None.
        """
        losses = self.decode_losses(outputs['fused_logits'],
                                    outputs['key_feats'],
                                    outputs['key_samples'])
        if self.loss_tc is not None:
            losses[self.loss_tc.loss_name] = self._consistency_loss(outputs)
        return losses

    def _consistency_loss(self,
                          outputs: Dict[str, Any],
                          flow: Optional[Tensor] = None) -> Tensor:
        """``loss_tc`` on ``O_t`` and ``Z_{t-1}`` with ``flow``
        f_{t->t-1} (N, 2, H, W) in pixels (estimated without gradients when
        not given)."""
        frames, frames_prev = outputs['key_frames'], outputs['ref_frames']
        rgb = self.denormalize(frames)
        rgb_prev = self.denormalize(frames_prev)
        if flow is None:
            with torch.no_grad():
                flow = self.flow(rgb, rgb_prev)
        return self.loss_tc(outputs['fused_logits'], outputs['ref_logits'],
                            flow, self.loss_tc.prepare_frames(rgb),
                            self.loss_tc.prepare_frames(rgb_prev))
