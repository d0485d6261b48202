# Copyright (c) mmvseg contributors. All rights reserved.
"""Batch clips (N, T, 3, H, W) with mmseg's own per-image preprocessing.

The clips are flattened into N*T
frames, processed by :meth:`mmseg.models.SegDataPreProcessor.forward`
(channel swap, normalisation, ``stack_batch`` padding and metainfo) and
reshaped back, like mmdet's ``TrackDataPreprocessor`` but without
re-implementing the padding.
"""
from typing import Any, Dict, List, Optional

import torch
from mmseg.models import SegDataPreProcessor

from mmvseg.registry import MODELS


@MODELS.register_module()
class VideoSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` for clips of T frames.

    Input (from the dataloader's ``pseudo_collate`` of
    :class:`PackVideoSegInputs` outputs)::

        dict(inputs=[N Tensors (T, 3, H_i, W_i)] or a Tensor (N, T, 3, H, W),
             data_samples=[N VideoSegDataSample with T frames] or None)

    Output::

        dict(inputs=float Tensor (N, T, 3, H, W), contiguous,
             data_samples=[N VideoSegDataSample])

    All N*T frames go through mmseg's logic at once: optional BGR<->RGB swap,
    ``(x - mean) / std``, then in training ``stack_batch`` pads every image on
    the right/bottom to ``size`` (or to the batch maximum rounded up to
    ``size_divisor``) with ``pad_val`` and every ``gt_sem_seg`` with
    ``seg_pad_val``, and sets ``img_shape``, ``pad_shape`` and
    ``padding_size`` on each frame; in test, images are padded per
    ``test_cfg`` (``img_padding_size``, ``pad_shape``) or must share one size.
    The T frames of a clip share one size (they are stacked), so they get the
    same pad. Frames without ``gt_sem_seg`` (unlabelled references), which
    ``stack_batch`` leaves with ``pad_shape=None``, get the padded image size
    as ``pad_shape``.

    Args:
        mean: per-channel mean (of the channels after the optional swap).
        std: per-channel standard deviation.
        size: fixed padded (H, W) in training.
        size_divisor: pad H and W to a multiple of it in training.
        pad_val: image padding value (after normalisation).
        seg_pad_val: ground-truth padding value (the ignore index).
        bgr_to_rgb: swap BGR to RGB.
        rgb_to_bgr: swap RGB to BGR.
        test_cfg: ``dict(size=...)`` or ``dict(size_divisor=...)`` padding in
            test; None: no padding.

    Raises:
        ValueError: clips that are not 4-D (T, C, H, W), clips with different
            T, or a data sample whose frame count differs from its clip.
    """

    def denormalize(self, frames: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: network frames -> RGB in 0-255.

        The inverse of :meth:`forward`'s per-frame steps for consumers that
        need image values (flow estimators, registration, photometric
        weights): ``x * std + mean`` when normalising, then BGR -> RGB
        unless a channel swap already made the network input RGB (mmcv
        loads BGR images). Padding comes back as ``pad_val * std + mean``.

        Args:
            frames: (..., 3, H, W) float frames as the network sees them,
                e.g. (B, 3, H, W) or (N, T, 3, H, W).

        Returns:
            Tensor: float RGB frames of the same shape, clamped to
            [0, 255] (no gradient flows through clamped values).
        """
        if self._enable_normalize:
            shape = (3, 1, 1)
            frames = frames * self.std.reshape(shape) + \
                self.mean.reshape(shape)
        if not self.channel_conversion:
            frames = frames.flip(-3)
        return frames.clamp(0, 255)

    @staticmethod
    def _check_clips(clips: List[torch.Tensor],
                     video_samples: Optional[list]) -> int:
        """Return T after checking shapes and frame counts."""
        for i, clip in enumerate(clips):
            if clip.ndim != 4:
                raise ValueError(f'clip {i}: expected a (T, C, H, W) tensor, '
                                 f'got shape {tuple(clip.shape)}')
        lengths = {clip.shape[0] for clip in clips}
        if len(lengths) != 1:
            raise ValueError('all clips of a batch must have the same number '
                             f'of frames, got {[c.shape[0] for c in clips]}')
        num_frames = lengths.pop()
        if video_samples is not None:
            for i, sample in enumerate(video_samples):
                if len(sample) != num_frames:
                    raise ValueError(
                        f'data sample {i} has {len(sample)} frames, its clip '
                        f'has {num_frames}')
        return num_frames

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise, pad and stack a batch of clips.

        Args:
            data: ``inputs`` and ``data_samples`` as in the class docstring.
            training: pad ground truth and images per ``size`` /
                ``size_divisor`` (True) or per ``test_cfg`` (False).

        Returns:
            dict: ``inputs`` float (N, T, 3, H, W) and ``data_samples``.
        """
        data = self.cast_data(data)
        clips = list(data['inputs'])
        video_samples = data.get('data_samples')
        num_frames = self._check_clips(clips, video_samples)
        flat = dict(inputs=[frame for clip in clips for frame in clip])
        if video_samples is not None:
            flat['data_samples'] = [
                frame for sample in video_samples
                for frame in sample.video_data_samples
            ]
        out = super().forward(flat, training=training)
        inputs = out['inputs']
        frame_samples = out.get('data_samples')
        if frame_samples is not None:
            for frame in frame_samples:
                if frame.get('pad_shape', ()) is None:
                    frame.set_metainfo(dict(pad_shape=inputs.shape[-2:]))
            for i, sample in enumerate(video_samples):
                start = i * num_frames
                sample.video_data_samples = frame_samples[start:start +
                                                          num_frames]
        inputs = inputs.view(len(clips), num_frames,
                             *inputs.shape[1:]).contiguous()
        return dict(inputs=inputs, data_samples=video_samples)
