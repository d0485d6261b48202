# Copyright (c) mmvseg contributors. All rights reserved.
"""Video datasets whose items are key frames with references or test clips.

design.md §3.1; the layout of the items follows mmdet's video datasets
(``mmdet/datasets/base_video_dataset.py``), with the key-frame expansion of
``TrackImgSampler`` moved into :meth:`BaseVideoSegDataset.load_data_list` so
that mmengine's ``InfiniteSampler``/``DefaultSampler`` work unchanged.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

import mmengine
from mmseg.datasets import BaseSegDataset

from mmvseg.registry import DATASETS


@DATASETS.register_module()
class BaseVideoSegDataset(BaseSegDataset):
    """Semantic segmentation dataset made of videos.

    A *video* is ``dict(video_id=str, frames=[frame, ...])`` with frames in
    temporal order, each ``dict(img_path=str, seg_map_path=str or None,
    frame_id=int)`` (``seg_map_path=None``: the frame has no label). Subclasses
    produce videos by overriding :meth:`load_videos`; the default reads the
    generic layout::

        data_root/<data_prefix.img_path>/<video>/<frame><img_suffix>
        data_root/<data_prefix.seg_map_path>/<video>/<frame><seg_map_suffix>

    Frames are the image files of ``<video>`` sorted by name; ``frame_id`` is
    the position of the frame in that order; a label is used when its file
    exists. With ``ann_file``, only the videos named in it (one per line) are
    read, in that order; otherwise every sub-folder, sorted by name.

    :meth:`load_data_list` turns the videos into the dataset items:

    - training (``test_mode=False``): one item per **labelled** frame (the key
      frame) with ``T = 1 + len(ref_offsets)`` frames: the key frame and the
      references at ``key + offset``. An index outside the video is **clamped**
      to its first/last frame, so a reference may be the key frame itself (or
      repeat another reference). Frames are ordered by offset, hence in
      temporal order, and the key frame sits at the same position
      (``number of negative offsets``) in every item::

          dict(video_id=str, video_length=int, key_frame_index=int,
               frames=[frame_info] * T, key_frame_flags=[bool] * T)

    - test (``test_mode=True``): every video cut into consecutive clips of at
      most ``clip_len`` frames (the last one may be shorter; ``None`` keeps
      whole videos); all frames of a clip are key frames. An item is a whole
      clip, so a clip is never split across ranks::

          dict(video_id=str, video_length=int, clip_id=int, clip_start=int,
               frames=[frame_info] * T, key_frame_flags=[True] * T)

    ``video_length`` is the number of frames of the whole video,
    ``key_frame_index``/``clip_start`` index the video's frame list. Every
    ``frame_info`` is an ordinary mmseg frame dict (``img_path``,
    ``seg_map_path``, ``label_map``, ``reduce_zero_label``, ``seg_fields``: a
    fresh list for each frame of each item) plus ``frame_id``,
    ``frame_index`` (position in the video), ``video_id``, ``video_length``
    and ``num_classes`` (``len(classes)``, or None without classes), which
    :class:`LoadVideoAnnotations` uses to validate labels.

    Only the local file system is supported (files are checked with
    :func:`os.path.isfile` at load time).

    Args:
        ref_offsets: offsets of the reference frames from the key frame, in
            positions of the video's frame list (not ``frame_id`` units):
            ``(-1,)`` is the previous listed frame; e.g. ``(-2, -1, 1)``.
            Distinct non-zero ints; empty for single-frame items. Used in
            training only.
        clip_len: maximum number of frames of a test clip, ``None`` for whole
            videos. Used in test mode only.
        **kwargs: the arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``img_suffix``,
            ``seg_map_suffix``, ``metainfo``, ``pipeline``, ``test_mode``,
            ``reduce_zero_label``, ...).

    Raises:
        ValueError: bad ``ref_offsets``/``clip_len``; a video without frames
            (the message names it); no video at all; no labelled frame in
            training.
        FileNotFoundError: a frame image or label named by the videos (or a
            video folder listed in ``ann_file``) is not on disk; the message
            names the file.
    """

    def __init__(self,
                 ref_offsets: Sequence[int] = (-1, ),
                 clip_len: Optional[int] = None,
                 **kwargs) -> None:
        self.ref_offsets = self._check_ref_offsets(ref_offsets)
        if clip_len is not None and (isinstance(clip_len, bool)
                                     or not isinstance(clip_len, int)
                                     or clip_len < 1):
            raise ValueError(
                f'clip_len must be a positive int or None, got {clip_len!r}')
        self.clip_len = clip_len
        super().__init__(**kwargs)

    @staticmethod
    def _check_ref_offsets(ref_offsets: Sequence[int]) -> tuple:
        offsets = tuple(ref_offsets)
        for offset in offsets:
            if isinstance(offset, bool) or not isinstance(offset, int) \
                    or offset == 0:
                raise ValueError('ref_offsets must be non-zero ints, got '
                                 f'{list(offsets)}')
        if len(set(offsets)) != len(offsets):
            raise ValueError(
                f'ref_offsets must be distinct, got {list(offsets)}')
        return tuple(sorted(offsets))

    @property
    def num_classes(self) -> Optional[int]:
        """``len(metainfo['classes'])``, or None when no classes are set."""
        classes = self._metainfo.get('classes')
        return None if classes is None else len(classes)

    def load_videos(self) -> List[dict]:
        """Read the videos of the generic folder layout (see the class doc).

        Returns:
            list[dict]: ``dict(video_id=str, frames=[dict(img_path,
            seg_map_path or None, frame_id)])`` per video.

        Raises:
            FileNotFoundError: a video folder listed in ``ann_file`` is
                missing, or a label file has no image.
        """
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        if self.ann_file:
            names = [
                line.strip() for line in mmengine.list_from_file(
                    self.ann_file, backend_args=self.backend_args)
                if line.strip()
            ]
        else:
            names = sorted(entry for entry in os.listdir(img_dir)
                           if osp.isdir(osp.join(img_dir, entry)))
        videos = []
        for name in names:
            video_dir = osp.join(img_dir, name)
            if not osp.isdir(video_dir):
                raise FileNotFoundError(
                    f'{video_dir}: folder of video "{name}" (listed in '
                    f'{self.ann_file}) not found')
            stems = sorted(
                f[:-len(self.img_suffix)] for f in os.listdir(video_dir)
                if f.endswith(self.img_suffix))
            self._check_labels_have_images(
                osp.join(ann_dir, name), video_dir, set(stems))
            frames = []
            for frame_id, stem in enumerate(stems):
                seg_map = osp.join(ann_dir, name, stem + self.seg_map_suffix)
                frames.append(
                    dict(
                        img_path=osp.join(video_dir, stem + self.img_suffix),
                        seg_map_path=seg_map if osp.isfile(seg_map) else None,
                        frame_id=frame_id))
            videos.append(dict(video_id=name, frames=frames))
        return videos

    def _check_labels_have_images(self, label_dir: str, video_dir: str,
                                  stems: set) -> None:
        """Raise FileNotFoundError for a label whose image is missing."""
        if not osp.isdir(label_dir) or label_dir == video_dir:
            return
        for file in sorted(os.listdir(label_dir)):
            if not file.endswith(self.seg_map_suffix):
                continue
            stem = file[:-len(self.seg_map_suffix)]
            if stem not in stems:
                raise FileNotFoundError(
                    f'{osp.join(video_dir, stem + self.img_suffix)}: frame '
                    f'not found (its label {osp.join(label_dir, file)} '
                    'exists)')

    def load_data_list(self) -> List[dict]:
        """Expand :meth:`load_videos` into key-frame items or test clips.

        Returns:
            list[dict]: the items described in the class docstring.
        """
        videos = self.load_videos()
        if not videos:
            raise ValueError(
                f'{self.__class__.__name__}: no video found (ann_file='
                f'{self.ann_file!r}, data_prefix={self.data_prefix})')
        data_list = []
        for video in videos:
            self._check_video(video)
            if self.test_mode:
                data_list.extend(self._clip_items(video))
            else:
                data_list.extend(self._key_frame_items(video))
        if not self.test_mode and not data_list:
            raise ValueError(
                f'{self.__class__.__name__}: no labelled frame to train on '
                f'(ann_file={self.ann_file!r}, '
                f'data_prefix={self.data_prefix})')
        return data_list

    @staticmethod
    def _check_video(video: dict) -> None:
        """Check that a video has frames and that their files exist."""
        video_id = video['video_id']
        if not video['frames']:
            raise ValueError(f'video "{video_id}" has no frames')
        for frame in video['frames']:
            if not osp.isfile(frame['img_path']):
                raise FileNotFoundError(
                    f'{frame["img_path"]}: frame {frame["frame_id"]} of '
                    f'video "{video_id}" not found')
            seg_map_path = frame.get('seg_map_path')
            if seg_map_path is not None and not osp.isfile(seg_map_path):
                raise FileNotFoundError(
                    f'{seg_map_path}: label of frame {frame["frame_id"]} of '
                    f'video "{video_id}" not found')

    def _frame_info(self, video: dict, index: int) -> dict:
        """A fresh mmseg frame dict for frame ``index`` of ``video``."""
        frame = video['frames'][index]
        return dict(
            img_path=frame['img_path'],
            seg_map_path=frame.get('seg_map_path'),
            label_map=self.label_map,
            reduce_zero_label=self.reduce_zero_label,
            seg_fields=[],
            frame_id=int(frame['frame_id']),
            frame_index=index,
            video_id=str(video['video_id']),
            video_length=len(video['frames']),
            num_classes=self.num_classes)

    def _key_frame_items(self, video: dict) -> List[dict]:
        """One item per labelled frame with its clamped references."""
        length = len(video['frames'])
        offsets = sorted(self.ref_offsets + (0, ))
        items = []
        for key, frame in enumerate(video['frames']):
            if frame.get('seg_map_path') is None:
                continue
            indices = [min(max(key + o, 0), length - 1) for o in offsets]
            items.append(
                dict(
                    video_id=str(video['video_id']),
                    video_length=length,
                    key_frame_index=key,
                    frames=[self._frame_info(video, i) for i in indices],
                    key_frame_flags=[o == 0 for o in offsets]))
        return items

    def _clip_items(self, video: dict) -> List[dict]:
        """Consecutive clips of at most ``clip_len`` frames."""
        length = len(video['frames'])
        step = self.clip_len or length
        return [
            dict(
                video_id=str(video['video_id']),
                video_length=length,
                clip_id=clip_id,
                clip_start=start,
                frames=[
                    self._frame_info(video, i)
                    for i in range(start, min(start + step, length))
                ],
                key_frame_flags=[True] * (min(start + step, length) - start))
            for clip_id, start in enumerate(range(0, length, step))
        ]
