# Copyright (c) mmvseg contributors. All rights reserved.
"""Video datasets whose items are key frames with references or test clips.

The layout of the items follows mmdet's video datasets
(``mmdet/datasets/base_video_dataset.py``), with the key-frame expansion of
``TrackImgSampler`` (``mmdet/datasets/samplers/track_img_sampler.py``) moved
into :meth:`BaseVideoSegDataset.load_data_list` so that mmengine's
``InfiniteSampler``/``DefaultSampler`` work unchanged.
"""
import os
import os.path as osp
from typing import List, Mapping, Optional, Sequence, Union

import mmengine
from mmseg.datasets import BaseSegDataset

from mmvseg.registry import DATASETS
from .reference_offsets import RandomRefOffsets, parse_ref_offsets

#: The string values of ``key_frames`` (a dict selects a stride).
KEY_FRAME_MODES = ('labelled', 'all')


def _check_key_frames(key_frames: Union[str, Mapping]) -> None:
    """Raise a ``ValueError`` unless ``key_frames`` is a mode of
    :data:`KEY_FRAME_MODES` or ``dict(start=int >= 0, step=int >= 1)``."""
    if isinstance(key_frames, Mapping):
        values = [key_frames.get(k) for k in ('start', 'step')]
        if set(key_frames) == {'start', 'step'} and all(
                isinstance(v, int) and not isinstance(v, bool)
                for v in values) and values[0] >= 0 and values[1] >= 1:
            return
    elif key_frames in KEY_FRAME_MODES:
        return
    raise ValueError(f'key_frames must be one of {KEY_FRAME_MODES} or '
                     f'dict(start=int >= 0, step=int >= 1), got '
                     f'{key_frames!r}')


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

    - training (``test_mode=False``): one item per key frame with its
      references at ``key + offset``. The key frames are the **labelled**
      frames (``key_frames='labelled'``, the default) or **every** frame
      (``key_frames='all'``; an unlabelled key frame has no ground truth, as
      an unlabelled reference) or every ``step``-th frame from ``start``
      (``key_frames=dict(start=1, step=2)``: frames 1, 3, 5, ..., with
      ``ref_offsets=(-1,)`` the disjoint pairs (0, 1), (2, 3), ... of
      KD-SSP, FraunhoferIVI/SSP ``data/video/video_dataset.py``). An index
      outside the video is **clamped** to its first/last frame, so a
      reference may be the key frame itself (or repeat another reference)::

          dict(video_id=str, video_length=int, key_frame_index=int,
               frames=[frame_info] * T, key_frame_flags=[bool] * T)

      With fixed ``ref_offsets`` (a sequence, the default) the item is built
      once, ``T = 1 + len(ref_offsets)``, and its frames are ordered by
      offset, hence in temporal order: the key frame sits at the same
      position (the number of negative offsets) in every item. With random
      ``ref_offsets`` (a dict, :class:`RandomRefOffsets`) ``num`` offsets are
      drawn anew every time the item is loaded (:meth:`get_data_info`),
      ``T = 1 + num``, and the frames are **the key frame first**, then the
      references in temporal order (ascending offset): the drawn offsets may
      fall on either side of the key frame, so temporal order would move the
      key frame from item to item, while this order keeps it at position 0
      in every item, as the segmentors require of all clips of a batch
      (``BaseVideoSegmentor.key_and_ref_index``). ``frame_index`` of each
      frame gives its time.

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

    Examples:
        ETC-style training items (Liu et al., ECCV 2020): every labelled
        frame with one other frame of its video at an offset drawn from
        {+3, +2, +1, -1, -2} at each load; TPS-style target-domain items
        (Xing et al., ECCV 2022): every frame of unlabelled videos with the
        two previous frames::

            dict(type='BaseVideoSegDataset', ...,
                 ref_offsets=dict(choices=[3, 2, 1, -1, -2], num=1))
            dict(type='BaseVideoSegDataset', ..., ref_offsets=[-2, -1],
                 key_frames='all', allow_unlabelled_videos=True)

    Args:
        ref_offsets: offsets of the reference frames from the key frame, in
            positions of the video's frame list (not ``frame_id`` units):
            ``(-1,)`` is the previous listed frame. Either fixed: distinct
            non-zero ints, e.g. ``(-2, -1, 1)``, empty for single-frame
            items; or random, drawn at each load: ``dict(choices=[...],
            num=n)`` or ``dict(range=(low, high), num=n)`` (inclusive, 0
            left out), see :class:`RandomRefOffsets`. Used in training only.
        clip_len: maximum number of frames of a test clip, ``None`` for whole
            videos. Used in test mode only.
        key_frames: ``'labelled'`` (one training item per labelled frame),
            ``'all'`` (one per frame) or ``dict(start=s, step=n)`` (one per
            frame s, s + n, s + 2n, ..., labelled or not). Used in training
            only.
        allow_unlabelled_videos: with ``key_frames='all'`` or a stride,
            accept videos
            without any labelled frame (e.g. the unlabelled target domain of
            domain adaptation); False raises for such a video, which is
            more often a wrong label path. Not valid with
            ``key_frames='labelled'`` (such a video has no key frame and adds
            no item, the rule of that mode).
        **kwargs: the arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``img_suffix``,
            ``seg_map_suffix``, ``metainfo``, ``pipeline``, ``test_mode``,
            ``reduce_zero_label``, ...).

    Raises:
        ValueError: bad ``ref_offsets``/``clip_len``/``key_frames``/
            ``allow_unlabelled_videos``; a video without frames (the message
            names it); no video at all; no labelled frame in training with
            ``key_frames='labelled'``; with ``key_frames='all'``, a video
            without labelled frames unless ``allow_unlabelled_videos``
            (named).
        FileNotFoundError: a frame image or label named by the videos (or a
            video folder listed in ``ann_file``) is not on disk; the message
            names the file.
    """

    def __init__(self,
                 ref_offsets: Union[Sequence[int], Mapping] = (-1, ),
                 clip_len: Optional[int] = None,
                 key_frames: Union[str, Mapping] = 'labelled',
                 allow_unlabelled_videos: bool = False,
                 **kwargs) -> None:
        self.ref_offsets = parse_ref_offsets(ref_offsets)
        if clip_len is not None and (isinstance(clip_len, bool)
                                     or not isinstance(clip_len, int)
                                     or clip_len < 1):
            raise ValueError(
                f'clip_len must be a positive int or None, got {clip_len!r}')
        self.clip_len = clip_len
        _check_key_frames(key_frames)
        if not isinstance(allow_unlabelled_videos, bool):
            raise ValueError('allow_unlabelled_videos must be a bool, got '
                             f'{allow_unlabelled_videos!r}')
        if allow_unlabelled_videos and key_frames == 'labelled':
            raise ValueError(
                "allow_unlabelled_videos=True needs key_frames='all' or a "
                "stride (with key_frames='labelled' a video without labels "
                'has no key frame and adds no item)')
        self.key_frames = key_frames
        self.allow_unlabelled_videos = allow_unlabelled_videos
        super().__init__(**kwargs)

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

    def _key_frame_indices(self, video: dict) -> List[int]:
        """The key frames of ``video`` per ``key_frames``.

        Raises:
            ValueError: ``key_frames`` ``'all'`` or a stride, no labelled
                frame in the video and not ``allow_unlabelled_videos``.
        """
        frames = video['frames']
        labelled = [
            i for i, frame in enumerate(frames)
            if frame.get('seg_map_path') is not None
        ]
        if self.key_frames == 'labelled':
            return labelled
        if not labelled and not self.allow_unlabelled_videos:
            raise ValueError(
                f'video "{video["video_id"]}" (first frame '
                f'{frames[0]["img_path"]}) has no labelled frame; set '
                'allow_unlabelled_videos=True to train on its frames without '
                'ground truth')
        if isinstance(self.key_frames, Mapping):
            return list(
                range(self.key_frames['start'], len(frames),
                      self.key_frames['step']))
        return list(range(len(frames)))

    def _key_frame_items(self, video: dict) -> List[dict]:
        """One item per key frame with its clamped references."""
        length = len(video['frames'])
        items = []
        for key in self._key_frame_indices(video):
            item = dict(
                video_id=str(video['video_id']),
                video_length=length,
                key_frame_index=key)
            if isinstance(self.ref_offsets, RandomRefOffsets):
                # the key frame and every candidate reference; the draw is
                # made at each load by get_data_info
                item.update(
                    frames=[self._frame_info(video, key)],
                    key_frame_flags=[True],
                    ref_candidates=[
                        self._frame_info(video, _clamp(key + o, length))
                        for o in self.ref_offsets.candidates
                    ])
            else:
                offsets = sorted(self.ref_offsets + (0, ))
                item.update(
                    frames=[
                        self._frame_info(video, _clamp(key + o, length))
                        for o in offsets
                    ],
                    key_frame_flags=[o == 0 for o in offsets])
            items.append(item)
        return items

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` (a fresh copy), its random references drawn now.

        With random ``ref_offsets`` the stored item holds the key frame and
        one reference per candidate offset (``ref_candidates``); here
        ``num`` offsets are drawn (:meth:`RandomRefOffsets.draw`, NumPy's
        global random state) and their references appended after the key
        frame, so every load of the item (every epoch) draws again. Other
        items are returned as stored.

        Returns:
            dict: the item described in the class docstring, plus mmengine's
            ``sample_idx``.
        """
        info = super().get_data_info(idx)
        candidates = info.pop('ref_candidates', None)
        if candidates is None:
            return info
        by_offset = dict(zip(self.ref_offsets.candidates, candidates))
        drawn = self.ref_offsets.draw()
        info['frames'] += [by_offset[offset] for offset in drawn]
        info['key_frame_flags'] += [False] * len(drawn)
        return info

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


def _clamp(index: int, length: int) -> int:
    """``index`` clamped to the frames ``[0, length)`` of a video."""
    return min(max(index, 0), length - 1)
