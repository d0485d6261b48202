# Copyright (c) mmvseg contributors. All rights reserved.
from typing import Dict, Iterator, List

from mmseg.structures import SegDataSample
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
    """

    def predict_clip(self, frames: Tensor,
                     frame_samples: List[SegDataSample]) -> Iterator[Tensor]:
        """Yield (1, K, H, W) logits of each frame, computed independently."""
        for t, frame in enumerate(frame_samples):
            yield self.image_model.inference(frames[t:t + 1],
                                             [frame.metainfo])

    def loss(self, inputs: Tensor,
             data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """Image-model loss on the key frames of (N, T, 3, H, W) clips."""
        key, _ = self.key_and_ref_index(data_samples)
        frames = inputs[:, key].flatten(0, 1)
        samples = [sample[i] for sample in data_samples for i in key]
        return self.image_model.loss(frames, samples)
