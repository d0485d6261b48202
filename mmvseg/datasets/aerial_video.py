# Copyright (c) mmvseg contributors. All rights reserved.
"""Aerial video clips in the layout of FraunhoferIVI/SSP: the reader.

The UAVid-VDD and RuralScapes preparation of FraunhoferIVI/SSP
(``process_dataset.sh``, ``tools/extract_frames_*.py``,
``tools/organize_*.py``) turns each source video into
fixed-length *clips* of extracted frames, a few of them labelled::

    <root>/data/<clip>/origin/<frame>.png   frames
    <root>/data/<clip>/mask/<frame>.png     labels of some frames
    <root>/train.txt  <root>/val.txt        clip names, one per line

This module holds the reading side of that layout: the frame and label
folder names of a clip (:data:`FRAME_DIR`, :data:`MASK_DIR`; the writer
imports them from here), :func:`parse_frame_number` and
:class:`AerialClipDataset`, the dataset base reading the clips (each clip is
one video of :class:`BaseVideoSegDataset`).

The layout is written by :mod:`mmvseg.datasets.conversion` (the machinery of
``tools/dataset_converters/uavid_vdd.py`` and ``ruralscapes.py``), which
adds to the repository's layout: labels stored as final train ids
(``0..K-1``, 255 ignored) at the frame size, a second copy
``data_<W>x<H>/`` of the frames and labels exactly as the repository feeds
them to the network (736x1280 by default), and ``.convert_state/``
holding the per-sequence markers that make a conversion resumable.
"""
import os
import os.path as osp
import re
from typing import List, Optional

import mmengine

from .base_video_dataset import BaseVideoSegDataset

#: Frame and label sub-folders of a clip (FraunhoferIVI/SSP
#: ``data/datasets.py``: ``frame_folder``, ``mask_folder``).
FRAME_DIR = 'origin'
MASK_DIR = 'mask'
#: Trailing frame number of a frame file stem (``000123``,
#: ``segfull_DJI_0043_000125``).
_FRAME_NUMBER_RE = re.compile(r'(\d+)$')


class AerialClipDataset(BaseVideoSegDataset):
    """Clips of the FraunhoferIVI/SSP aerial layout, one video per clip.

    Layout (paths relative to ``data_root``)::

        <data_prefix.img_path>/<clip>/origin/<frame><img_suffix>
        <data_prefix.seg_map_path>/<clip>/mask/<frame><seg_map_suffix>
        train.txt / val.txt        # clip names (``ann_file``)

    With ``ann_file`` the clips named in it (one per line) are read in that
    order; without it, every non-hidden sub-folder of
    ``data_prefix['img_path']``, sorted by name. The frames of a clip are the
    image files of ``origin/`` ordered by the number that ends their name,
    which becomes ``frame_id`` (the frame's index in the source video, e.g.
    ``000123.png`` or ``segfull_DJI_0043_000125.png``); a frame is labelled
    when ``mask/`` holds a file of the same stem. Labels hold train ids
    ``0..K-1`` and 255 (ignored), as written by the converters, so no label
    mapping is applied.

    Training items (one per labelled frame, or per frame with
    ``key_frames='all'``; references at ``ref_offsets`` clamped to the clip)
    and test items (whole clips when ``clip_len`` is None) are those of
    :class:`BaseVideoSegDataset`: the clip is the unit of evaluation of
    FraunhoferIVI/SSP (``eval/vis/video.py`` runs the video model over each
    val clip from its first frame).

    Args:
        img_suffix: frame file suffix.
        seg_map_suffix: label file suffix.
        data_prefix: ``img_path`` / ``seg_map_path`` folders holding the clip
            folders; ``'data'`` (the converters' frame size) by default.
        **kwargs: the arguments of :class:`BaseVideoSegDataset`.

    Raises:
        FileNotFoundError: a clip listed in ``ann_file`` or its ``origin``
            folder is missing, or a label has no frame (named).
        ValueError: a frame name without a trailing number, two frames of a
            clip with the same number, or a clip without frames (named).
    """

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='data', seg_map_path='data')
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)

    def _clip_names(self, img_dir: str) -> List[str]:
        if self.ann_file:
            return [
                line.strip() for line in mmengine.list_from_file(
                    self.ann_file, backend_args=self.backend_args)
                if line.strip()
            ]
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{img_dir}: clip folder not found')
        return sorted(entry for entry in os.listdir(img_dir)
                      if not entry.startswith('.')
                      and osp.isdir(osp.join(img_dir, entry)))

    def load_videos(self) -> List[dict]:
        """Read the clips.

        Returns:
            list[dict]: ``dict(video_id=<clip>, frames=[dict(img_path,
            seg_map_path or None, frame_id=<source frame index>)])`` per
            clip, frames in increasing ``frame_id``.
        """
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        videos = []
        for clip in self._clip_names(img_dir):
            frame_dir = osp.join(img_dir, clip, FRAME_DIR)
            if not osp.isdir(frame_dir):
                raise FileNotFoundError(
                    f'{frame_dir}: frame folder of clip "{clip}" not found'
                    + (f' (listed in {self.ann_file})'
                       if self.ann_file else ''))
            by_number = {}
            for file in sorted(os.listdir(frame_dir)):
                if not file.endswith(self.img_suffix):
                    continue
                stem = file[:-len(self.img_suffix)]
                number = parse_frame_number(osp.join(frame_dir, file), stem)
                if number in by_number:
                    raise ValueError(
                        f'{osp.join(frame_dir, file)}: frame number {number} '
                        f'also used by {by_number[number]}{self.img_suffix}')
                by_number[number] = stem
            if not by_number:
                raise ValueError(f'{frame_dir}: clip "{clip}" has no frames '
                                 f'(*{self.img_suffix})')
            mask_dir = osp.join(ann_dir, clip, MASK_DIR)
            self._check_labels_have_images(mask_dir, frame_dir,
                                           set(by_number.values()))
            frames = []
            for number in sorted(by_number):
                stem = by_number[number]
                seg_map = osp.join(mask_dir, stem + self.seg_map_suffix)
                frames.append(
                    dict(
                        img_path=osp.join(frame_dir, stem + self.img_suffix),
                        seg_map_path=seg_map if osp.isfile(seg_map) else None,
                        frame_id=number))
            videos.append(dict(video_id=clip, frames=frames))
        return videos


def parse_frame_number(path: str, stem: Optional[str] = None) -> int:
    """The number that ends a frame file name (its source video index).

    Args:
        path: the file, for the message.
        stem: the name without suffix; defaults to that of ``path``.

    Returns:
        int: e.g. 125 for ``segfull_DJI_0043_000125.png``.

    Raises:
        ValueError: the stem does not end in digits; names the file.
    """
    stem = osp.splitext(osp.basename(path))[0] if stem is None else stem
    match = _FRAME_NUMBER_RE.search(stem)
    if match is None:
        raise ValueError(f'{path}: frame name must end with its frame '
                         'number (e.g. 000123.png)')
    return int(match.group(1))
