# Copyright (c) mmvseg contributors. All rights reserved.
from typing import Any, Dict, Iterable, Iterator, Union

from mmseg.structures import SegDataSample
from torch import Tensor

from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList
from .base_video import BaseVideoSegmentor


@MODELS.register_module()
class VideoEncoderDecoder(BaseVideoSegmentor):
    """The per-frame baseline: an mmseg image model run on every frame.

    Training computes the image model's losses on the labelled key frames
    only, through one path: the decode head's logits are upsampled to the
    input size with ``logits_upsample`` and scored by the head's
    ``loss_by_feat`` (for ``'bilinear'`` the same numbers as mmseg's
    ``EncoderDecoder.loss``, which upsamples bilinearly inside the head);
    auxiliary heads score their own logits. This is how image models are
    evaluated on clips (mIoU and temporal consistency) side by side with
    video segmentors.

    Inference with ``'bilinear'`` delegates to the image model's own
    ``inference``, frame by frame (so its ``test_cfg``, ``whole`` or
    ``slide``, applies); with ``'bicubic'`` (FraunhoferIVI/SSP
    ``models/image/base_model.py``) the logits are upsampled bicubically,
    which needs the image model's ``test_cfg.mode='whole'``.

    Raises:
        ValueError: ``logits_upsample='bicubic'`` with sliding-window
            inference.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mode = (self.image_model.test_cfg or {}).get('mode', 'whole')
        if self.logits_upsample == 'bicubic' and mode != 'whole':
            raise ValueError("logits_upsample='bicubic' needs the image "
                             f"model's test_cfg.mode='whole', got {mode!r}")

    def predict_clip(self, frames: Union[Tensor, Iterable[Tensor]],
                     frame_samples: Iterable[SegDataSample]
                     ) -> Iterator[Tensor]:
        """Yield (1, K, H, W) logits of each frame, computed independently
        (``frames``: a clip or a lazy iterable, see :meth:`iter_frames`)."""
        for frame, sample in zip(self.iter_frames(frames), frame_samples):
            if self.logits_upsample == 'bilinear':
                yield self.image_model.inference(frame, [sample.metainfo])
            else:
                yield self.encode_decode(frame, [sample.metainfo])

    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """Outputs of the key frames of (N, T, 3, H, W) clips.

        Returns:
            dict: ``key_frames`` (B, 3, H, W) the B = N * len(key) key
            frames, ``key_feats`` their features, ``key_logits`` (B, K, H,
            W) logits upsampled with ``logits_upsample`` and
            ``key_samples`` their B frame samples.
        """
        key, _ = self.key_and_ref_index(data_samples)
        frames = inputs[:, key].flatten(0, 1)
        feats = self.extract_feat(frames)
        return dict(
            key_frames=frames,
            key_feats=feats,
            key_logits=self.decode_logits(feats, frames.shape[2:]),
            key_samples=[sample[i] for sample in data_samples for i in key])

    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """The image model's losses on the key frames (``decode.*``,
        ``aux.*``), as mmseg's ``EncoderDecoder.loss``."""
        return self.decode_losses(outputs['key_logits'], outputs['key_feats'],
                                  outputs['key_samples'])
