# Copyright (c) mmvseg contributors. All rights reserved.
from typing import Dict, Iterator, List

from mmseg.structures import SegDataSample
from mmseg.utils import add_prefix
from torch import Tensor

from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .base_video import BaseVideoSegmentor


@MODELS.register_module()
class VideoEncoderDecoder(BaseVideoSegmentor):
    """The per-frame baseline: an mmseg image model run on every frame.

    Inference delegates to the image model's own ``inference`` (so its
    ``test_cfg``, ``whole`` or ``slide``, applies), frame by frame; training
    computes the image model's loss on the labelled key frames only. This is
    how image models are evaluated on clips (mIoU and temporal consistency)
    side by side with video segmentors.

    With ``logits_upsample='bilinear'`` (default) both go through the image
    model's own ``inference`` / ``loss`` (mmseg: bilinear upsampling).
    With ``'bicubic'`` (FraunhoferIVI/SSP, methods.md §1.2) the decode
    head's logits are upsampled bicubically to the input size before the
    loss and the prediction, as SSP does; this needs the image model's
    ``test_cfg.mode='whole'``.

    Raises:
        ValueError: ``logits_upsample='bicubic'`` with sliding-window
            inference.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mode = self.image_model.test_cfg.get('mode', 'whole')
        if self.logits_upsample == 'bicubic' and mode != 'whole':
            raise ValueError("logits_upsample='bicubic' needs the image "
                             f"model's test_cfg.mode='whole', got {mode!r}")

    def predict_clip(self, frames: Tensor,
                     frame_samples: List[SegDataSample]) -> Iterator[Tensor]:
        """Yield (1, K, H, W) logits of each frame, computed independently."""
        for t, frame in enumerate(frame_samples):
            if self.logits_upsample == 'bilinear':
                yield self.image_model.inference(frames[t:t + 1],
                                                 [frame.metainfo])
            else:
                yield self.encode_decode(frames[t:t + 1], [frame.metainfo])

    def loss(self, inputs: Tensor,
             data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """Image-model loss on the key frames of (N, T, 3, H, W) clips."""
        key, _ = self.key_and_ref_index(data_samples)
        frames = inputs[:, key].flatten(0, 1)
        samples = [sample[i] for sample in data_samples for i in key]
        if self.logits_upsample == 'bilinear':
            return self.image_model.loss(frames, samples)
        feats = self.extract_feat(frames)
        logits = self.decode_logits(feats, frames.shape[2:])
        losses = add_prefix(
            self.decode_head.loss_by_feat(logits, samples), 'decode')
        if self.image_model.with_auxiliary_head:
            losses.update(
                self.image_model._auxiliary_head_forward_train(
                    feats, samples))
        return losses
