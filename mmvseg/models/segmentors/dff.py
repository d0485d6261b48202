# Copyright (c) mmvseg contributors. All rights reserved.
from typing import Any, Dict, Iterable, Iterator, Union

from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvseg.models.flow import warp_features
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .base_video import BaseVideoSegmentor

PROPAGATIONS = ('previous', 'key')
WARP_MODES = ('bilinear', 'nearest')


@MODELS.register_module()
class DFF(BaseVideoSegmentor):
    """Deep Feature Flow ("Deep Feature Flow for Video Recognition", Zhu et
    al., CVPR 2017) as FraunhoferIVI/SSP builds it (``DFF2Wrapper`` of
    ``models/video/models_consistency.py``, ``model_name: dff2`` of
    ``config/video/dff_uavid.yaml``, ``dff_rural.yaml``).

    Inference over one clip, causal, state in local variables:

    - key frames, ``t % key_interval == 0``: the whole image model runs;
      its decode head's feature before the classifier
      (``head_feature``: UPerHead's ``fpn_bottleneck`` output, 256 channels
      at stride 4) is kept, and the logits are ``cls_seg`` of it;
    - other frames: ``f = flow(x_t, x_{t-1})`` = f_{t->t-1} (pixels, frame
      size), resized to the kept feature's grid (bilinear, values scaled by
      the grid ratio, so x 1/4 at stride 4), warps the previous frame's
      (already propagated) feature, and only ``cls_seg`` runs.

    The feature is propagated at the head feature's own stride: stride 4 for
    UPerHead (the repository hard-codes a 1/4 resize of the flow), stride 2
    for ``ESPNetHead``, whose feature is (N, channels, H/2, W/2) and whose
    ``cls_seg`` is a 2x up-convolution, so its logits come out at full size.

    Training takes (t-1, t) pairs, t labelled: the logits of t are
    ``cls_seg(warp(head_feature(x_{t-1}), f_{t->t-1}))`` (t's own features
    are never computed) and the loss is the decode head's loss on them
    (cross-entropy). A flow estimator built with ``trainable=True``
    (``RAFTFlow``, the repository: ``train_flow: true``, 8 updates) is
    trained end to end, in train mode; a frozen one (``DISFlow``) is not.

    Warping follows the repository's ``flowwarp`` (``models/opt_flow.py``):
    ``grid_sample`` with ``align_corners=False`` on a grid normalised by
    (W - 1) (``legacy_grid=True``), bilinear, zeros outside.

    Args:
        image_model: mmseg config of the per-frame model; its decode head
            must split its forward into ``_forward_feature`` and ``cls_seg``.
        flow: flow estimator config (``RAFTFlow`` with ``trainable=True``
            and ``num_flow_updates=8`` as the repository, ``DISFlow``, ...).
        key_interval: a key frame every ``key_interval`` frames, from the
            clip's first frame (the repository: ``k_interval: 8``).
        propagation: ``'previous'`` warps the previous frame's propagated
            feature with f_{t->t-1} (the repository); ``'key'`` warps the
            key frame's feature with f_{t->key} (the DFF paper).
        warp_mode: ``'bilinear'`` (the repository's ``flow_mode``) or
            ``'nearest'``.
        legacy_grid: the repository's ``align_corners=False`` warp (True)
            or the exact warp of :func:`mmvseg.models.flow.flow_warp`.
        **kwargs: ``logits_upsample``, ``keep_seg_logits``, ``freeze``, ...
            of :class:`BaseVideoSegmentor`.

    Raises:
        ValueError: no flow estimator, ``key_interval`` < 1, an unknown
            ``propagation`` or ``warp_mode``.
    """

    def __init__(self,
                 image_model: ConfigType,
                 flow: ConfigType,
                 key_interval: int = 8,
                 propagation: str = 'previous',
                 warp_mode: str = 'bilinear',
                 legacy_grid: bool = True,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        if not flow:
            raise ValueError('DFF needs a flow estimator config')
        if not isinstance(key_interval, int) or key_interval < 1:
            raise ValueError('key_interval must be a positive int, got '
                             f'{key_interval!r}')
        if propagation not in PROPAGATIONS:
            raise ValueError(f'propagation must be one of {PROPAGATIONS}, '
                             f'got {propagation!r}')
        if warp_mode not in WARP_MODES:
            raise ValueError(f'warp_mode must be one of {WARP_MODES}, got '
                             f'{warp_mode!r}')
        super().__init__(
            image_model=image_model,
            flow=flow,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            **kwargs)
        self.key_interval = key_interval
        self.propagation = propagation
        self.warp_mode = warp_mode
        self.legacy_grid = legacy_grid

    def propagate(self, feature: Tensor, flow: Tensor) -> Tensor:
        """Warp a head feature of frame s onto frame t.

        Args:
            feature: (N, C, h, w) head feature of frame s.
            flow: (N, 2, H, W) ``f_{t->s}`` in pixels of the frames.

        Returns:
            Tensor: (N, C, h, w) the feature on frame t's grid (zeros where
            the flow points outside frame s).
        """
        return warp_features(
            feature, flow, mode=self.warp_mode, padding='zeros',
            legacy_grid=self.legacy_grid)

    def classify(self, feature: Tensor, size: tuple) -> Tensor:
        """(N, K, H, W) logits of a head feature: ``cls_seg`` then the
        ``logits_upsample`` interpolation to ``size``."""
        return self.upsample_logits(self.decode_head.cls_seg(feature), size)

    def predict_clip(self, frames: Union[Tensor, Iterable[Tensor]],
                     frame_samples: Iterable[SegDataSample]
                     ) -> Iterator[Tensor]:
        """Yield the logits (1, K, H, W) of each frame of one clip.

        Frame 0 is a key frame; see the class docstring. ``frames`` is a
        (T, 3, H, W) clip or a lazy iterable of frames (:meth:`iter_frames`);
        the state (the propagated feature, the key frame's feature and frame
        t-1) lives in this generator.
        """
        feature = key_feature = key_frame = prev_frame = None
        # samples are read in step with the frames (predict_stream's tee
        # then holds none of them)
        for t, (frame, _) in enumerate(
                zip(self.iter_frames(frames), frame_samples)):
            if t % self.key_interval == 0:
                feature = self.head_feature(self.extract_feat(frame))
                key_feature, key_frame = feature, frame
            elif self.propagation == 'previous':
                feature = self.propagate(
                    feature, self.estimate_flow(frame, prev_frame))
            else:
                feature = self.propagate(
                    key_feature, self.estimate_flow(frame, key_frame))
            prev_frame = frame
            yield self.classify(feature, tuple(frame.shape[2:]))

    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """Outputs of a batch of (t-1, t) pairs, t the labelled key frame.

        Args:
            inputs: (N, T, 3, H, W) clips holding a key frame t and its
                reference t-1 (``key_frames_inds``/``ref_frames_inds``).
            data_samples: N ``VideoSegDataSample``; key frames labelled.

        Returns:
            dict: ``key_frames`` / ``ref_frames`` (N, 3, H, W) network frames
            t / t-1; ``flow`` (N, 2, H, W) f_{t->t-1}; ``ref_feats`` the
            backbone levels of t-1; ``ref_feature`` (N, C, h, w) its head
            feature; ``key_logits`` (N, K, H, W) the propagated logits of t;
            ``key_samples`` the N labelled frame samples of t.

        Raises:
            ValueError: a batch without exactly one key and one reference
                frame per clip.
        """
        frames, frames_prev, key = self.key_and_ref_pair(inputs, data_samples)
        flow = self.estimate_flow(frames, frames_prev)
        feats_prev = self.extract_feat(frames_prev)
        feature_prev = self.head_feature(feats_prev)
        logits = self.classify(
            self.propagate(feature_prev, flow), frames.shape[2:])
        return dict(
            key_frames=frames,
            ref_frames=frames_prev,
            flow=flow,
            ref_feats=feats_prev,
            ref_feature=feature_prev,
            key_logits=logits,
            key_samples=[sample[key] for sample in data_samples])

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """The decode head's losses (``decode.*``) on the propagated logits
        of t; auxiliary heads, when the image model has any (the paper's
        have none), score frame t-1's backbone features against t's
        labels (``aux.*``)."""
        return self.decode_losses(outputs['key_logits'], outputs['ref_feats'],
                                  outputs['key_samples'])
