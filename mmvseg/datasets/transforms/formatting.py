# Copyright (c) mmvseg contributors. All rights reserved.
"""Pack a clip into model inputs and a :class:`VideoSegDataSample`.

Mirrors mmdet's ``PackTrackInputs``
(``mmdet/datasets/transforms/formatting.py``); every frame is packed by
mmseg's own ``PackSegInputs``.
"""
from typing import List, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmvseg.registry import TRANSFORMS
from mmvseg.structures import VideoSegDataSample

#: mmseg's ``PackSegInputs`` meta keys plus the video keys.
DEFAULT_META_KEYS = tuple(PackSegInputs().meta_keys) + (
    'frame_id', 'frame_index', 'video_id', 'video_length')
#: Ground truth dropped from unlabelled frames (``seg_map_path`` None).
_GT_KEYS = ('gt_seg_map', 'gt_edge_map', 'gt_depth_map')


@TRANSFORMS.register_module()
class PackVideoSegInputs(BaseTransform):
    """Pack the dict-of-lists of a clip of T frames.

    The lists are scattered into T frame dicts, each packed by mmseg's
    ``PackSegInputs(meta_keys)`` (plus ``teacher_logits`` when loaded); the
    T images are stacked and the T ``SegDataSample`` (``gt_sem_seg`` only on
    labelled frames) go into one :class:`VideoSegDataSample` whose metainfo
    ``key_frames_inds`` / ``ref_frames_inds`` are the positions where
    ``key_frame_flags`` is True / False.

    Required Keys:

    - img (list[np.ndarray]): T images (H, W, C), all of one size.
    - key_frame_flags (list[bool]): T flags.
    - the ``meta_keys`` present (lists of length T).

    Optional Keys:

    - gt_seg_map (list[np.ndarray]): (H, W) per frame; dropped (with
      ``gt_edge_map``/``gt_depth_map``) from frames whose ``seg_map_path`` is
      None, which hold the placeholder of :class:`LoadVideoAnnotations`.
    - teacher_logits (list[np.ndarray]): (H, W, K) float per frame
      (:class:`LoadTeacherLogits`), packed as each sample's
      ``teacher_logits``: ``PixelData`` of a (K, H, W) float32 tensor.

    Added Keys:

    - inputs (torch.Tensor): (T, C, H, W), the images' dtype (uint8 after
      :class:`LoadFrameFromFile`).
    - data_samples (VideoSegDataSample)

    Args:
        meta_keys: per-frame keys copied into each ``SegDataSample``'s
            metainfo; default: mmseg's ``PackSegInputs`` keys plus
            ``frame_id``, ``frame_index``, ``video_id``, ``video_length``.

    Raises:
        ValueError: a value that is not a list of length T, or frames of
            different sizes.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)
        self._pack_frame = PackSegInputs(meta_keys=self.meta_keys)

    @staticmethod
    def _scatter(results: dict) -> List[dict]:
        """Split the lists of length T into T frame dicts."""
        num_frames = len(results['img'])
        frames = [dict() for _ in range(num_frames)]
        for key, value in results.items():
            if not isinstance(value, list):
                raise ValueError(
                    f'PackVideoSegInputs: {key!r} must be a list of '
                    f'{num_frames} per-frame values, got {type(value)}')
            if len(value) != num_frames:
                raise ValueError(
                    f'PackVideoSegInputs: {key!r} has {len(value)} values '
                    f'for {num_frames} frames')
            for frame, frame_value in zip(frames, value):
                frame[key] = frame_value
        for frame in frames:
            if 'seg_map_path' in frame and frame['seg_map_path'] is None:
                for key in _GT_KEYS:
                    frame.pop(key, None)
        return frames

    @staticmethod
    def _chw_tensor(logits: np.ndarray) -> torch.Tensor:
        """(H, W, K) -> (K, H, W) float32 tensor; (H, W) is K = 1 (OpenCV
        drops a single channel when resizing)."""
        if logits.ndim == 2:
            logits = logits[..., None]
        return torch.from_numpy(
            np.ascontiguousarray(logits.transpose(2, 0, 1), np.float32))

    def transform(self, results: dict) -> dict:
        """Pack the clip.

        Returns:
            dict: ``inputs`` (T, C, H, W) Tensor and ``data_samples``
            :class:`VideoSegDataSample`.
        """
        flags = results['key_frame_flags']
        frames = self._scatter(results)
        packed = [self._pack_frame(frame) for frame in frames]
        for frame, frame_packed in zip(frames, packed):
            if frame.get('teacher_logits') is not None:
                frame_packed['data_samples'].teacher_logits = PixelData(
                    data=self._chw_tensor(frame['teacher_logits']))
        shapes = {tuple(p['inputs'].shape) for p in packed}
        if len(shapes) != 1:
            raise ValueError('PackVideoSegInputs: the frames of a clip must '
                             f'have one size, got {sorted(shapes)}')
        data_sample = VideoSegDataSample(
            metainfo=dict(
                key_frames_inds=[i for i, f in enumerate(flags) if f],
                ref_frames_inds=[i for i, f in enumerate(flags) if not f]))
        data_sample.video_data_samples = [p['data_samples'] for p in packed]
        return dict(
            inputs=torch.stack([p['inputs'] for p in packed]),
            data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
