# Copyright (c) mmvseg contributors. All rights reserved.
"""Turn a video dataset item into the dict-of-lists of mmcv's broadcaster.

Follows ``prepare_data`` of mmdet's ``BaseFrameSample``
(``mmdet/datasets/transforms/frame_sampling.py``): video-level values are
copied into every frame, then the frames are transposed into lists.
"""
import copy

from mmcv.transforms import BaseTransform

from mmvseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class VideoFrameSample(BaseTransform):
    """Transpose the frames of an item into lists of length T.

    The item is one of :class:`BaseVideoSegDataset` (a training key frame
    with its references, or a test clip). Every key of the frame dicts
    becomes a list over the T frames, item-level values (``video_id``,
    ``video_length``, ``clip_id``, ``sample_idx``, ...) are copied into
    every frame (frame values win), and every frame gets its own
    ``seg_fields`` list. Each value is then a list of length T, which is what
    ``TransformBroadcaster`` needs (a bare ``str`` would be split into
    characters, a dict or ndarray would fail its check).

    Required Keys:

    - frames (list[dict]): T frame dicts (``img_path``, ``seg_map_path``,
      ``label_map``, ``reduce_zero_label``, ``seg_fields``, ``frame_id``,
      ``video_id``, ``video_length``, ``num_classes``, ...).
    - key_frame_flags (list[bool]): T flags, True for key frames.

    Modified Keys:

    - every item-level key: now a list of T copies.

    Added Keys:

    - img_path, seg_map_path, frame_id, frame_index, video_id, video_length,
      label_map, reduce_zero_label, seg_fields, num_classes (and any other
      frame key): lists of length T.

    Removed Keys:

    - frames.

    Raises:
        ValueError: no frames, ``key_frame_flags`` of another length, or
            frames with different keys.
    """

    def transform(self, results: dict) -> dict:
        """Return the dict-of-lists of the item ``results``."""
        frames = results['frames']
        flags = list(results['key_frame_flags'])
        if not frames:
            raise ValueError('VideoFrameSample: the item has no frames')
        if len(flags) != len(frames):
            raise ValueError(
                f'VideoFrameSample: {len(flags)} key_frame_flags for '
                f'{len(frames)} frames')
        keys = set(frames[0])
        for frame in frames[1:]:
            if set(frame) != keys:
                raise ValueError(
                    'VideoFrameSample: frames have different keys: '
                    f'{sorted(keys)} vs {sorted(frame)}')
        video_values = {
            key: value
            for key, value in results.items()
            if key not in ('frames', 'key_frame_flags') and key not in keys
        }
        outputs = {
            key: [copy.deepcopy(value) for _ in frames]
            for key, value in video_values.items()
        }
        for key in keys:
            outputs[key] = [frame[key] for frame in frames]
        outputs['seg_fields'] = [
            list(frame.get('seg_fields', [])) for frame in frames
        ]
        outputs['key_frame_flags'] = [bool(flag) for flag in flags]
        return outputs

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
