# Copyright (c) mmvseg contributors. All rights reserved.
from abc import abstractmethod
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList

IMAGE_MODEL_KEYS = ('backbone.', 'decode_head.', 'neck.', 'auxiliary_head.')


class BaseVideoSegmentor(BaseSegmentor):
    """A video segmentor that wraps an mmseg image model (design.md §5).

    The image model is any mmseg segmentor config (usually ``EncoderDecoder``,
    backbone + decode head); its ``data_preprocessor`` is dropped because the
    video segmentor's own ``VideoSegDataPreProcessor`` prepares whole clips.
    Subclasses implement :meth:`predict_clip` (the recurrent or per-frame
    inference over one clip, whose state lives only inside that call) and
    :meth:`loss`.

    A checkpoint of the image model alone (keys ``backbone.*``,
    ``decode_head.*``, as written by ``tools/model_converters/``) loads
    directly into the video segmentor: its keys are prefixed with
    ``image_model.`` on the fly, so ``tools/test.py CONFIG IMAGE_CKPT`` works.

    Args:
        image_model: mmseg config of the per-frame model.
        freeze_image_model: keep the image model in eval mode (BatchNorm
            statistics untouched) with ``requires_grad=False``.
        logits_upsample: interpolation used to bring the decode head's logits
            to the input size, ``'bilinear'`` (mmseg) or ``'bicubic'``
            (FraunhoferIVI/SSP).
        keep_seg_logits: keep each frame's (K, H, W) float logits in the
            predictions (``seg_logits``); off by default, a clip of logits at
            full size is large.
        data_preprocessor: usually ``VideoSegDataPreProcessor``.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 image_model: ConfigType,
                 freeze_image_model: bool = False,
                 logits_upsample: str = 'bilinear',
                 keep_seg_logits: bool = False,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        image_model = dict(image_model)
        image_model.pop('data_preprocessor', None)
        self.image_model = MODELS.build(image_model)
        if logits_upsample not in ('bilinear', 'bicubic'):
            raise ValueError('logits_upsample must be bilinear or bicubic, '
                             f'got {logits_upsample!r}')
        self.logits_upsample = logits_upsample
        self.keep_seg_logits = keep_seg_logits
        self.freeze_image_model = freeze_image_model
        if freeze_image_model:
            self.image_model.requires_grad_(False)
            self.image_model.eval()
        self._register_load_state_dict_pre_hook(self._accept_image_model_ckpt)

    # ------------------------------------------------------------------ #
    # mmseg's post-processing reads these two attributes
    @property
    def align_corners(self) -> bool:
        return self.image_model.align_corners

    @property
    def decode_head(self):
        return self.image_model.decode_head

    def train(self, mode: bool = True) -> 'BaseVideoSegmentor':
        super().train(mode)
        if self.freeze_image_model:
            self.image_model.eval()
        return self

    @staticmethod
    def _accept_image_model_ckpt(state_dict: Dict[str, Tensor], prefix: str,
                                 *args) -> None:
        """Prefix the keys of an image-model-only state dict in place."""
        keys = [k for k in state_dict if k.startswith(prefix)]
        if any(k[len(prefix):].startswith('image_model.') for k in keys):
            return
        if not any(k[len(prefix):].startswith(IMAGE_MODEL_KEYS)
                   for k in keys):
            return
        for key in keys:
            state_dict[prefix + 'image_model.' +
                       key[len(prefix):]] = state_dict.pop(key)
        print_log(
            'the checkpoint holds an image model only: its keys were loaded '
            'under image_model.',
            logger='current')

    # ------------------------------------------------------------------ #
    # per-frame building blocks
    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Image-model features of frames (B, 3, H, W)."""
        return self.image_model.extract_feat(inputs)

    def decode_logits(self, feats: Sequence[Tensor],
                      size: Sequence[int]) -> Tensor:
        """Decode head logits of a frame batch, upsampled to ``size``.

        Args:
            feats: backbone (and neck) features of B frames.
            size: (H, W) of the (padded) network input.

        Returns:
            Tensor: (B, K, H, W) float logits (not probabilities).
        """
        logits = self.image_model.decode_head.forward(feats)
        if tuple(logits.shape[2:]) == tuple(size):
            return logits
        return F.interpolate(
            logits,
            size=tuple(size),
            mode=self.logits_upsample,
            align_corners=self.align_corners)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Per-frame logits (B, K, H, W) of frames (B, 3, H, W)."""
        return self.decode_logits(self.extract_feat(inputs), inputs.shape[2:])

    # ------------------------------------------------------------------ #
    # frame conversions for flow / registration / photometric checks
    def frames_to_rgb255(self, frames: Tensor) -> Tensor:
        """Undo the data preprocessor: normalised frames -> RGB in 0-255.

        Args:
            frames: (B, 3, H, W) float frames as the network sees them.

        Returns:
            Tensor: (B, 3, H, W) float RGB in [0, 255] (frames are loaded BGR
            by mmcv; they are flipped unless the preprocessor already did).
        """
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            frames = frames * pre.std.reshape(1, -1, 1, 1) + \
                pre.mean.reshape(1, -1, 1, 1)
        if not getattr(pre, 'channel_conversion', False):
            frames = frames.flip(1)
        return frames.clamp(0, 255)

    # ------------------------------------------------------------------ #
    # inference
    @abstractmethod
    def predict_clip(self, frames: Tensor,
                     frame_samples: List[SegDataSample]) -> Iterator[Tensor]:
        """Yield the logits of each frame of one clip, in temporal order.

        Args:
            frames: (T, 3, H, W) normalised frames of one clip.
            frame_samples: the T frame data samples (metainfo).

        Yields:
            Tensor: (1, K, H, W) float logits of frame t at input size.
        """

    def predict(self, inputs: Tensor,
                data_samples: VideoSampleList) -> VideoSampleList:
        """Segment every frame of every clip.

        Args:
            inputs: (N, T, 3, H, W) normalised clips.
            data_samples: N ``VideoSegDataSample``.

        Returns:
            list[VideoSegDataSample]: the same samples, each frame carrying
            ``pred_sem_seg`` (1, H0, W0) int64 at its original size (and
            ``seg_logits`` when ``keep_seg_logits``).
        """
        self._check_clips(inputs, data_samples)
        for frames, sample in zip(inputs, data_samples):
            frame_samples = sample.video_data_samples
            for logits, frame in zip(
                    self.predict_clip(frames, frame_samples), frame_samples):
                self.postprocess_result(logits, [frame])
                if not self.keep_seg_logits:
                    del frame.seg_logits
        return data_samples

    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[VideoSampleList] = None) -> Tensor:
        """Raw logits of every frame: (N, T, K, H, W)."""
        clips = []
        for n, frames in enumerate(inputs):
            samples = data_samples[n].video_data_samples \
                if data_samples is not None else \
                [SegDataSample() for _ in range(frames.shape[0])]
            clips.append(torch.cat(list(self.predict_clip(frames, samples))))
        return torch.stack(clips)

    @staticmethod
    def _check_clips(inputs: Tensor, data_samples: VideoSampleList) -> None:
        if inputs.dim() != 5:
            raise ValueError('video segmentors take (N, T, 3, H, W) inputs, '
                             f'got {tuple(inputs.shape)}')
        if data_samples is None or len(data_samples) != inputs.shape[0]:
            raise ValueError('one VideoSegDataSample is needed per clip')
        for sample in data_samples:
            if len(sample) != inputs.shape[1]:
                raise ValueError(f'a clip of {inputs.shape[1]} frames came '
                                 f'with {len(sample)} frame samples')

    @staticmethod
    def key_and_ref_index(data_samples: VideoSampleList) -> tuple:
        """The (key, reference) frame positions shared by a training batch.

        Raises:
            ValueError: samples disagree, or a sample has no key frame.
        """
        first = data_samples[0]
        key = list(first.metainfo.get('key_frames_inds', []))
        ref = list(first.metainfo.get('ref_frames_inds', []))
        for sample in data_samples[1:]:
            if list(sample.key_frames_inds) != key or list(
                    sample.ref_frames_inds) != ref:
                raise ValueError('all clips of a training batch must share '
                                 'their key/reference frame positions')
        if not key:
            raise ValueError('a training clip needs a key frame')
        return key, ref
