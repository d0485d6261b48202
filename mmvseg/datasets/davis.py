# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVIS semi-supervised video object segmentation, one test item per video.

The layout of the DAVIS-2017 release (``JPEGImages/480p/<video>/<frame>.jpg``,
``Annotations/480p/<video>/<frame>.png`` palette PNGs of object ids,
``ImageSets/2017/val.txt``) and of DAVIS-2016 (binary masks, 0/255), as
read by davisvideochallenge/davis2017-evaluation ``davis2017/davis.py``;
frames are ordered by file name and the first frame carries the objects to
propagate. Each video is one test item, so a video is never split across
ranks (``DefaultSampler(shuffle=False, round_up=False)``, batch 1).
"""
import os.path as osp
from typing import List, Optional, Tuple

import mmengine
import numpy as np

from mmvseg.registry import DATASETS
from .base_video_dataset import BaseVideoSegDataset


def davis_palette() -> np.ndarray:
    """The DAVIS / PASCAL VOC colour map of indexed annotation and result
    PNGs.

    Bit ``3 * j + c`` of an index becomes bit ``7 - j`` of colour channel ``c``
    (R, G, B), as ``color_map`` in davisvideochallenge/davis2017-evaluation
    ``davis2017/utils.py``.

    Returns:
        np.ndarray: (256, 3) uint8 RGB colours, row i = index i.
    """
    ids = np.arange(256)
    palette = np.zeros((256, 3), np.int64)
    for bit in range(8):
        for channel in range(3):
            shift = 3 * bit + channel
            palette[:, channel] |= ((ids >> shift) & 1) << (7 - bit)
    return palette.astype(np.uint8)


def davis_object_classes(num_objects: int) -> Tuple[str, ...]:
    """Class names of a DAVIS dataset: ``'background'`` then one per id.

    Args:
        num_objects: largest object id accepted.

    Returns:
        tuple[str]: ``('background', 'object 1', ..., 'object N')``, i.e.
        class i is object id i.
    """
    return ('background', ) + tuple(f'object {i}'
                                    for i in range(1, num_objects + 1))


@DATASETS.register_module()
class DAVISDataset(BaseVideoSegDataset):
    """DAVIS-2017 (or DAVIS-2016) videos for semi-supervised VOS (test only).

    Layout (paths relative to ``data_root``, the defaults)::

        JPEGImages/480p/<video>/%05d.jpg
        Annotations/480p/<video>/%05d.png   # object ids, see below
        ImageSets/2017/<split>.txt          # one video name a line

    ``ann_file`` may also be a DAVIS-2016 frame list
    (``ImageSets/480p/val.txt``: lines ``/JPEGImages/480p/<video>/<f>.jpg
    /Annotations/480p/<video>/<f>.png``, paths relative to ``data_root``);
    frames are then grouped into videos by their folder, in list order.

    Items: one per **whole video** (``test_mode=True``, ``clip_len=None``;
    see :class:`BaseVideoSegDataset` for the item and frame dicts). Frames
    are the JPEGs sorted by name; ``frame_id`` is the number in the file name
    (``00012.jpg`` -> 12; the position when the stem is not a number), so
    ``DAVISMetric(output_dir=...)`` writes ``<video>/%05d.png`` like the
    official results. ``video_length`` is the number of frames kept
    (``max_frames``).

    Annotations: the **first frame must be annotated** (it seeds the
    propagation); later frames without an annotation file are allowed
    (``seg_map_path=None``, no ``gt_sem_seg``): such videos can be
    propagated, but ``DAVISMetric`` scores fully annotated videos only and
    rejects them. Annotations are read with ``LoadVideoAnnotations(label_reader='indexed_png')``:

    - DAVIS-2017 (default): palette ("P") PNGs whose **indices are object
      ids** (0 background, 1..N objects, 255 void); ids above
      ``max_objects`` make the loader raise ``ValueError`` naming the file.
    - DAVIS-2016 (``binary_masks=True``): grayscale 0/255 masks of one
      object; the frame's ``label_map`` ``{255: 1}`` turns 255 into object 1
      (so 255 is not void there; other values than 0/255/1 raise).

    Object ids differ per video, so the classes are not semantic: ``classes``
    = :func:`davis_object_classes` (``'background'``, ``'object 1'``, ...,
    ``'object {max_objects}'``; one object with ``binary_masks``), palette =
    the DAVIS palette. The class count bounds the ids the loader accepts.

    Args:
        ann_file: video list (or DAVIS-2016 frame list), relative to
            ``data_root``.
        data_prefix: ``img_path`` / ``seg_map_path`` folders.
        img_suffix: frame suffix.
        seg_map_suffix: annotation suffix.
        binary_masks: DAVIS-2016 single-object 0/255 masks (see above).
        max_objects: largest object id accepted (DAVIS-2017 val has at most
            5 objects per video, A1). Ignored with ``binary_masks``.
        max_frames: keep only the first ``max_frames`` frames of each video
            (quick checks; the metric then scores the cut video); None for
            all.
        test_mode: must be True (there are no training items).
        clip_len: must be None (whole videos: frame 0 seeds the video).
        **kwargs: the other arguments of :class:`BaseVideoSegDataset`
            (``data_root``, ``pipeline``, ``metainfo``, ``indices``, ...).

    Raises:
        ValueError: ``test_mode`` False, ``clip_len`` set, a bad
            ``max_objects``/``max_frames``, a malformed frame-list line, a
            video without frames (names the video and its folder), or a
            video whose first frame has no annotation (names the expected
            file).
        FileNotFoundError: a listed video folder, frame or annotation is
            missing (named).
    """

    def __init__(self,
                 ann_file: str = 'ImageSets/2017/val.txt',
                 data_prefix: dict = dict(
                     img_path='JPEGImages/480p',
                     seg_map_path='Annotations/480p'),
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 binary_masks: bool = False,
                 max_objects: int = 10,
                 max_frames: Optional[int] = None,
                 test_mode: bool = True,
                 clip_len: Optional[int] = None,
                 **kwargs) -> None:
        if not test_mode or clip_len is not None:
            raise ValueError(
                'DAVISDataset is test-only with whole videos (frame 0 seeds '
                f'the propagation): got test_mode={test_mode}, '
                f'clip_len={clip_len}; use test_mode=True, clip_len=None')
        for name, value in (('max_objects', max_objects), ('max_frames',
                                                            max_frames)):
            if value is not None and (isinstance(value, bool) or
                                      not isinstance(value, int) or
                                      value < 1):
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        self.binary_masks = binary_masks
        self.max_objects = 1 if binary_masks else max_objects
        self.max_frames = max_frames
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        classes = davis_object_classes(self.max_objects)
        metainfo.setdefault('classes', classes)
        metainfo.setdefault(
            'palette', davis_palette()[:len(classes)].tolist())
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            metainfo=metainfo,
            test_mode=test_mode,
            clip_len=clip_len,
            **kwargs)

    def load_videos(self) -> List[dict]:
        """Read the videos and check their first-frame annotations.

        Returns:
            list[dict]: ``dict(video_id=str, frames=[dict(img_path,
            seg_map_path or None, frame_id)])`` per video, in list order.

        Raises:
            ValueError: see the class docstring.
            FileNotFoundError: see the class docstring.
        """
        frame_list = self._frame_list()
        videos = (
            self._videos_from_frame_list(frame_list)
            if frame_list is not None else super().load_videos())
        for video in videos:
            self._check_first_frame(video)
            video['frames'] = video['frames'][:self.max_frames]
            for position, frame in enumerate(video['frames']):
                stem = osp.splitext(osp.basename(frame['img_path']))[0]
                frame['frame_id'] = int(stem) if stem.isdigit() else position
        return videos

    def _frame_list(self) -> Optional[List[Tuple[str, str]]]:
        """The (image, annotation) lines of a DAVIS-2016 frame list, or None
        when ``ann_file`` lists video names."""
        if not self.ann_file:
            return None
        lines = [
            line.split() for line in mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args)
            if line.strip()
        ]
        if not lines or all(len(parts) == 1 for parts in lines):
            return None
        for line_no, parts in enumerate(lines, 1):
            if len(parts) != 2:
                raise ValueError(
                    f'{self.ann_file}: line {line_no} must be "<image> '
                    f'<annotation>" like the other lines, got {parts}')
        return [(a, b) for a, b in lines]

    def _videos_from_frame_list(
            self, frame_list: List[Tuple[str, str]]) -> List[dict]:
        """Group frame-list lines into videos by their image folder; a
        listed annotation must exist (checked by the base class)."""
        root = self.data_root or ''
        videos = {}
        for img, ann in frame_list:
            img_path = osp.join(root, img.lstrip('/'))
            frames = videos.setdefault(
                osp.basename(osp.dirname(img_path)), [])
            frames.append(
                dict(
                    img_path=img_path,
                    seg_map_path=osp.join(root, ann.lstrip('/')),
                    frame_id=len(frames)))
        return [
            dict(video_id=name, frames=frames)
            for name, frames in videos.items()
        ]

    def _check_first_frame(self, video: dict) -> None:
        """A video needs frames and an annotation of its first frame."""
        name = video['video_id']
        if not video['frames']:
            folder = osp.join(self.data_prefix.get('img_path', ''), name)
            raise ValueError(f'video "{name}" has no frames (no '
                             f'*{self.img_suffix} in {folder})')
        first = video['frames'][0]
        if first['seg_map_path'] is None:
            stem = osp.splitext(osp.basename(first['img_path']))[0]
            expected = osp.join(
                self.data_prefix.get('seg_map_path', ''), name,
                stem + self.seg_map_suffix)
            raise ValueError(
                f'{expected}: the first frame of video "{name}" has no '
                'annotation; semi-supervised VOS needs it to seed the '
                'propagation')

    def _frame_info(self, video: dict, index: int) -> dict:
        """The base frame dict; with ``binary_masks``, 255 maps to 1."""
        info = super()._frame_info(video, index)
        if self.binary_masks:
            info['label_map'] = {255: 1}
        return info
