# Copyright (c) mmvseg contributors. All rights reserved.
from typing import (Any, Dict, Iterable, Iterator, List, Optional, Sequence,
                    Union)

import torch
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from mmvseg.models.flow import warp_features
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .base_video import BaseVideoSegmentor
from .dff import WARP_MODES


@MODELS.register_module()
class NetWarp(BaseVideoSegmentor):
    """NetWarp ("Semantic Video CNNs through Representation Warping", Gadde
    et al., ICCV 2017) as FraunhoferIVI/SSP builds it (``NetWarpWrapper`` and
    ``FlowCNN`` of ``models/video/models_consistency.py``, ``config/video/
    netwarp_uavid.yaml``, ``netwarp_rural.yaml``).

    For frame t with previous network frame x_{t-1}:

        f      = flow_cnn(flow(x_t, x_{t-1}), x_t, x_{t-1})  (f_{t->t-1})
        M_t^l  = w_cur^l * F_t^l + w_past^l * W(M_{t-1}^l, f)  (level l)
        logits = decode_head(M_t)

    with F_t^l the image model's backbone (and neck) levels, W the warp with
    the flow resized to level l's grid (bilinear, values scaled), and
    w_cur^l, w_past^l (1, C_l, 1, 1) per-channel weights initialised to 1
    and 0, so the untrained model is the image model. Inference is causal
    and recurrent: M_0 = F_0 (the image model alone) and the merged levels
    M_t are carried to the next frame. Training takes (t-1, t) pairs, t
    labelled, with M_{t-1} = F_{t-1} (no recurrence); the loss is the decode
    head's loss on t (cross-entropy). A flow estimator built with
    ``trainable=True`` (``RAFTFlow``, the repository: ``train_flow: true``,
    8 updates) is trained end to end, in train mode.

    ``flow_cnn`` (:class:`~mmvseg.models.video_blocks.NetWarpFlowCNN`) sees
    the network frames as the segmentor gets them (normalised); warping is
    the repository's ``flowwarp`` (``models/opt_flow.py``,
    ``legacy_grid=True``), bilinear, zeros outside.

    Args:
        image_model: mmseg config of the per-frame model.
        flow: flow estimator config (``RAFTFlow`` with ``trainable=True``
            and ``num_flow_updates=8`` as the repository, ``DISFlow``, ...).
        flow_cnn: config of the flow refinement, or None to use the flow as
            it comes (our option).
        in_channels: channels of every level returned by ``extract_feat``;
            None takes the decode head's ``in_channels`` when the head reads
            all levels in order (UPerHead on Hiera: 96, 192, 384, 768).
        warp_mode: ``'bilinear'`` (the repository's ``flow_mode``) or
            ``'nearest'``.
        legacy_grid: the repository's ``align_corners=False`` warp (True)
            or the exact warp of :func:`mmvseg.models.flow.flow_warp`.
        decode_ref_frame: training also decodes frame t-1's own levels
            (output ``ref_logits``), as the repository does (unused by its
            loss, it still updates the decode head's BatchNorm running
            statistics in train mode).
        **kwargs: ``logits_upsample``, ``keep_seg_logits``, ``freeze``, ...
            of :class:`BaseVideoSegmentor`.

    Raises:
        ValueError: no flow estimator, an unknown ``warp_mode``, or
            ``in_channels`` None while the decode head does not read every
            level in order.
    """

    def __init__(self,
                 image_model: ConfigType,
                 flow: ConfigType,
                 flow_cnn: OptConfigType = dict(type='NetWarpFlowCNN'),
                 in_channels: Optional[Sequence[int]] = None,
                 warp_mode: str = 'bilinear',
                 legacy_grid: bool = True,
                 decode_ref_frame: bool = True,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        if not flow:
            raise ValueError('NetWarp needs a flow estimator config')
        if warp_mode not in WARP_MODES:
            raise ValueError(f'warp_mode must be one of {WARP_MODES}, got '
                             f'{warp_mode!r}')
        super().__init__(
            image_model=image_model,
            flow=flow,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            **kwargs)
        self.flow_cnn = MODELS.build(flow_cnn) if flow_cnn else None
        if in_channels is None:
            in_channels = self._head_levels()
        self.in_channels = [int(c) for c in in_channels]
        self.current_weights = nn.ParameterList(
            [nn.Parameter(torch.ones(1, c, 1, 1)) for c in self.in_channels])
        self.past_weights = nn.ParameterList(
            [nn.Parameter(torch.zeros(1, c, 1, 1))
             for c in self.in_channels])
        self.warp_mode = warp_mode
        self.legacy_grid = legacy_grid
        self.decode_ref_frame = decode_ref_frame

    def _head_levels(self) -> List[int]:
        head = self.decode_head
        channels, index = head.in_channels, head.in_index
        if isinstance(channels, (list, tuple)) and list(index) == list(
                range(len(channels))):
            return list(channels)
        raise ValueError(
            'NetWarp merges every backbone level: set in_channels (the '
            'channels of each level of extract_feat), the decode head reads '
            f'in_channels={channels}, in_index={index}')

    def refine_flow(self, flow: Tensor, frames: Tensor,
                    frames_prev: Tensor) -> Tensor:
        """``flow_cnn(flow, x_t, x_{t-1})`` (the flow itself without
        ``flow_cnn``); all (N, ., H, W)."""
        if self.flow_cnn is None:
            return flow
        return self.flow_cnn(flow, frames, frames_prev)

    def merge(self, feats: Sequence[Tensor], feats_prev: Sequence[Tensor],
              flow: Tensor) -> List[Tensor]:
        """``w_cur * F_t + w_past * W(F_{t-1}, f)`` on every level.

        Args:
            feats: the levels of frame t, (N, C_l, h_l, w_l).
            feats_prev: the levels (or merged levels) of frame t-1.
            flow: (N, 2, H, W) refined ``f_{t->t-1}`` in frame pixels.

        Returns:
            list[Tensor]: the merged levels, shaped as ``feats``.

        Raises:
            ValueError: levels whose number or channels differ from
                ``in_channels``.
        """
        channels = [f.shape[1] for f in feats]
        if channels != self.in_channels or len(feats_prev) != len(feats):
            raise ValueError(
                f'NetWarp was built for levels of {self.in_channels} '
                f'channels, got {channels} (frame t) and '
                f'{[f.shape[1] for f in feats_prev]} (frame t-1)')
        return [
            w_cur * feat + w_past * warp_features(
                feat_prev, flow, mode=self.warp_mode, padding='zeros',
                legacy_grid=self.legacy_grid)
            for feat, feat_prev, w_cur, w_past in zip(
                feats, feats_prev, self.current_weights, self.past_weights)
        ]

    def predict_clip(self, frames: Union[Tensor, Iterable[Tensor]],
                     frame_samples: Iterable[SegDataSample]
                     ) -> Iterator[Tensor]:
        """Yield the logits (1, K, H, W) of each frame of one clip; frame 0
        is the image model's, the merged levels are carried forward.

        ``frames`` is a (T, 3, H, W) clip or a lazy iterable of frames
        (:meth:`iter_frames`); the state (merged levels and frame t-1) lives
        in this generator.
        """
        prev_feats = prev_frame = None
        # samples are read in step with the frames (predict_stream's tee
        # then holds none of them)
        for frame, _ in zip(self.iter_frames(frames), frame_samples):
            feats = self.extract_feat(frame)
            if prev_feats is not None:
                flow = self.refine_flow(
                    self.estimate_flow(frame, prev_frame), frame, prev_frame)
                feats = self.merge(feats, prev_feats, flow)
            prev_feats, prev_frame = feats, frame
            yield self.decode_logits(feats, tuple(frame.shape[2:]))

    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """Outputs of a batch of (t-1, t) pairs, t the labelled key frame.

        Args:
            inputs: (N, T, 3, H, W) clips holding a key frame t and its
                reference t-1 (``key_frames_inds``/``ref_frames_inds``).
            data_samples: N ``VideoSegDataSample``; key frames labelled.

        Returns:
            dict: ``key_frames`` / ``ref_frames`` (N, 3, H, W) network frames
            t / t-1; ``flow`` (N, 2, H, W) the refined f_{t->t-1};
            ``key_feats`` / ``ref_feats`` the levels of t / t-1;
            ``merged_feats`` the merged levels of t; ``key_logits`` (N, K,
            H, W) their logits; ``ref_logits`` the logits of t-1 (only with
            ``decode_ref_frame``); ``key_samples`` the N labelled frame
            samples of t.

        Raises:
            ValueError: a batch without exactly one key and one reference
                frame per clip.
        """
        frames, frames_prev, key = self.key_and_ref_pair(inputs, data_samples)
        size = frames.shape[2:]
        flow = self.refine_flow(
            self.estimate_flow(frames, frames_prev), frames, frames_prev)
        outputs = dict(key_frames=frames, ref_frames=frames_prev, flow=flow)
        feats_prev = self.extract_feat(frames_prev)
        if self.decode_ref_frame:
            outputs['ref_logits'] = self.decode_logits(feats_prev, size)
        feats = self.extract_feat(frames)
        merged = self.merge(feats, feats_prev, flow)
        outputs.update(
            key_feats=feats,
            ref_feats=feats_prev,
            merged_feats=merged,
            key_logits=self.decode_logits(merged, size),
            key_samples=[sample[key] for sample in data_samples])
        return outputs

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """The image model's losses on t (``decode.*``, and ``aux.*`` on the
        merged levels when the image model has auxiliary heads)."""
        return self.decode_losses(outputs['key_logits'],
                                  outputs['merged_feats'],
                                  outputs['key_samples'])
