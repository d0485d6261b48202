# Copyright (c) mmvseg contributors. All rights reserved.
"""Aerial video clips in the layout of FraunhoferIVI/SSP: reader and writer.

The UAVid-VDD and RuralScapes preparation of FraunhoferIVI/SSP
(``process_dataset.sh``, ``tools/extract_frames_*.py``,
``tools/organize_*.py``; methods.md §1.8) turns each source video into
fixed-length *clips* of extracted frames, a few of them labelled::

    <root>/data/<clip>/origin/<frame>.png   frames
    <root>/data/<clip>/mask/<frame>.png     labels of some frames
    <root>/train.txt  <root>/val.txt        clip names, one per line

This module holds both sides of that layout:

- :class:`AerialClipDataset`, the dataset base reading it (each clip is one
  video of :class:`BaseVideoSegDataset`);
- :class:`AerialVideoConverter`, the machinery of the converters
  ``tools/dataset_converters/uavid_vdd.py`` and ``ruralscapes.py`` (reading
  zip archives or extracted folders, frame extraction, label writing, clip
  cutting, resuming, reporting corrupt archive members); each converter
  subclasses it with its dataset's rules.

mmvseg additions to the repository's layout (see
:class:`AerialVideoConverter`): labels are stored as final train ids
(``0..K-1``, 255 ignored) at the frame size, a second copy
``data_<W>x<H>/`` holds the frames and labels exactly as the repository
feeds them to the network (736x1280 by default), and ``.convert_state/``
holds the per-sequence markers that make a conversion resumable.
"""
import argparse
import contextlib
import json
import logging
import os
import os.path as osp
import re
import shutil
import sys
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import (Dict, Iterator, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import cv2
import mmengine
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar, mkdir_or_exist
from PIL import Image

from .base_video_dataset import BaseVideoSegDataset

#: Frame and label sub-folders of a clip (FraunhoferIVI/SSP
#: ``data/datasets.py``: ``frame_folder``, ``mask_folder``).
FRAME_DIR = 'origin'
MASK_DIR = 'mask'
#: Trailing frame number of a frame file stem (``000123``,
#: ``segfull_DJI_0043_000125``).
_FRAME_NUMBER_RE = re.compile(r'(\d+)$')
#: Published clip folder ``<global index>_<sequence>_<local index>``.
_CLIP_NAME_RE = re.compile(r'^(\d+)_(.+)_(\d+)$')
WORK_DIR = '.work'
STATE_DIR = '.convert_state'
Size = Tuple[int, int]


# --------------------------------------------------------------------- #
# reader
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

    Training items (one per labelled frame, references at ``ref_offsets``
    clamped to the clip) and test items (whole clips when ``clip_len`` is
    None) are those of :class:`BaseVideoSegDataset`: the clip is the unit of
    evaluation of FraunhoferIVI/SSP (methods.md §1.9).

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


# --------------------------------------------------------------------- #
# archive access
class MemberError(Exception):
    """An archive member that cannot be read or decoded.

    ``str(error)`` is ``'<archive>:<member>: <reason>'``.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f'{where}: {reason}')
        self.where = where
        self.reason = reason


class ArchiveSet:
    """Read-only union of zip archives and extracted folders.

    Member names are the paths inside a zip (``/``-separated) or relative
    to a folder; when several sources hold the same name, the first wins.

    Args:
        sources: zip files or folders.

    Raises:
        FileNotFoundError: a source does not exist.
        ValueError: a file that is not a readable zip archive (wrong format,
            or its central directory is damaged, e.g. a truncated download).
    """

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = list(sources)
        self._members: Dict[str, Tuple[str, Union[zipfile.ZipInfo,
                                                  str]]] = {}
        self._zips: Dict[str, zipfile.ZipFile] = {}
        for source in self.sources:
            if osp.isdir(source):
                for dirpath, _, files in os.walk(source):
                    for file in files:
                        path = osp.join(dirpath, file)
                        name = osp.relpath(path, source).replace(os.sep, '/')
                        self._members.setdefault(name, (source, path))
            elif osp.isfile(source):
                try:
                    archive = zipfile.ZipFile(source)
                except (zipfile.BadZipFile, OSError) as e:
                    raise ValueError(
                        f'{source}: not a readable zip archive ({e}); a '
                        'truncated download damages the zip directory, '
                        'download it again') from e
                self._zips[source] = archive
                for info in archive.infolist():
                    if not info.is_dir():
                        self._members.setdefault(info.filename,
                                                 (source, info))
            else:
                raise FileNotFoundError(f'{source}: archive or folder not '
                                        'found')

    def close(self) -> None:
        """Close the zip files."""
        for archive in self._zips.values():
            archive.close()

    @property
    def names(self) -> List[str]:
        """All member names, sorted."""
        return sorted(self._members)

    def where(self, name: str) -> str:
        """``'<source>:<member>'``, to name a member in messages."""
        source, _ = self._members[name]
        return f'{source}:{name}'

    @contextlib.contextmanager
    def _open(self, name: str):
        source, entry = self._members[name]
        if isinstance(entry, str):
            with open(entry, 'rb') as f:
                yield f
        else:
            with self._zips[source].open(entry) as f:
                yield f

    @contextlib.contextmanager
    def _guard(self, name: str) -> Iterator[None]:
        """Turn the errors of a damaged member into :class:`MemberError`."""
        try:
            yield
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                OSError) as e:
            raise MemberError(
                self.where(name),
                f'corrupt or truncated archive member ({e})') from e

    def read(self, name: str) -> bytes:
        """The bytes of a member (CRC-checked for zip members).

        Raises:
            KeyError: no such member.
            MemberError: the member is damaged (bad CRC, corrupt compressed
                data, truncated, unsupported compression).
        """
        with self._guard(name), self._open(name) as f:
            return f.read()

    @contextlib.contextmanager
    def local_path(self, name: str, tmp_dir: str) -> Iterator[str]:
        """A file path holding the member (zip members: a temporary copy).

        Raises:
            MemberError: the member is damaged.
        """
        source, entry = self._members[name]
        if isinstance(entry, str):
            yield entry
            return
        mkdir_or_exist(tmp_dir)
        path = osp.join(tmp_dir, 'member' + osp.splitext(name)[1])
        try:
            with self._guard(name), self._open(name) as src, \
                    open(path, 'wb') as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            yield path
        finally:
            if osp.exists(path):
                os.remove(path)


# --------------------------------------------------------------------- #
# pixel conversions
def decode_image(data: bytes, where: str, flag: int) -> np.ndarray:
    """Decode PNG/JPEG bytes with OpenCV.

    Args:
        data: the file content.
        where: the member, for the message.
        flag: ``cv2.IMREAD_COLOR`` ((H, W, 3) uint8 BGR) or
            ``cv2.IMREAD_GRAYSCALE`` ((H, W) uint8).

    Raises:
        MemberError: empty, corrupt or truncated image.
    """
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flag) if data else None
    if img is None:
        raise MemberError(where, 'cannot decode the image (corrupt or '
                          'truncated file)')
    return img


def colour_lut(colours: Mapping[Tuple[int, int, int], int],
               default: int = 0) -> np.ndarray:
    """Lookup table from packed RGB ``(r << 16) | (g << 8) | b`` to an id.

    Args:
        colours: RGB triple -> id (0..255).
        default: id of every other colour.

    Returns:
        np.ndarray: (2**24,) uint8.
    """
    lut = np.full(1 << 24, default, np.uint8)
    for (r, g, b), index in colours.items():
        lut[(r << 16) | (g << 8) | b] = index
    return lut


def rgb_to_index(bgr: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map every pixel's exact colour through ``lut`` (see :func:`colour_lut`).

    Args:
        bgr: (H, W, 3) uint8, OpenCV channel order.
        lut: (2**24,) uint8.

    Returns:
        np.ndarray: (H, W) uint8 ids.
    """
    key = (bgr[..., 2].astype(np.uint32) << 16) | \
        (bgr[..., 1].astype(np.uint32) << 8) | bgr[..., 0]
    return lut[key]


def to_train_ids(raw: np.ndarray, num_classes: int) -> np.ndarray:
    """FraunhoferIVI/SSP ``convert_labels`` (``data/datasets.py``).

    Stored id 0 (background / unlabeled) becomes 255, every other id ``v``
    becomes ``v - 1``, and ids that end up ``>= num_classes`` become 255.

    Args:
        raw: (H, W) uint8 stored ids.
        num_classes: K.

    Returns:
        np.ndarray: (H, W) uint8 in ``[0, K) ∪ {255}``.
    """
    ids = raw.astype(np.int16) - 1
    ids[(raw == 0) | (ids >= num_classes)] = 255
    return ids.astype(np.uint8)


def resize_frame(bgr: np.ndarray, size: Size) -> np.ndarray:
    """``cv2.resize`` to ``size`` = (W, H) with ``INTER_CUBIC``, as
    ``tools/extract_frames_*.py --resize`` of FraunhoferIVI/SSP."""
    return cv2.resize(bgr, tuple(size), interpolation=cv2.INTER_CUBIC)


def pil_resize_frame(bgr: np.ndarray, size: Size) -> np.ndarray:
    """Pillow bilinear resize to ``size`` = (W, H) of a BGR frame, as
    FraunhoferIVI/SSP reads a frame (``Image.open(...).resize(...,
    Image.BILINEAR)``, ``data/video/video_dataset.py``); BGR in and out."""
    rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
    out = np.asarray(rgb.resize(tuple(size), Image.Resampling.BILINEAR))
    return np.ascontiguousarray(out[..., ::-1])


def pil_resize_label(label: np.ndarray, size: Size) -> np.ndarray:
    """Pillow nearest resize to ``size`` = (W, H) of an (H, W) uint8 label,
    as FraunhoferIVI/SSP reads a label (``Image.NEAREST``)."""
    if label.shape[::-1] == tuple(size):
        return label
    return np.asarray(
        Image.fromarray(label).resize(tuple(size), Image.Resampling.NEAREST))


def parse_size(text: str, allow_none: bool = False) -> Optional[Size]:
    """``'2560x1440'`` -> (2560, 1440) (W, H); ``'none'`` -> None when
    ``allow_none``.

    Raises:
        ValueError: not ``<width>x<height>`` with positive ints (or
            ``'none'`` when allowed).
    """
    if allow_none and text.lower() == 'none':
        return None
    match = re.fullmatch(r'(\d+)x(\d+)', text)
    if match is None or 0 in (int(match.group(1)), int(match.group(2))):
        raise ValueError(
            'size must be <width>x<height> with positive integers (e.g. '
            f'2560x1440){" or none" if allow_none else ""}, got {text!r}')
    return int(match.group(1)), int(match.group(2))


def _size_arg(allow_none: bool):
    """argparse ``type`` wrapping :func:`parse_size`."""

    def convert(text: str) -> Optional[Size]:
        try:
            return parse_size(text, allow_none)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from e

    return convert


def natural_key(name: str) -> list:
    """Sort key comparing digit runs as numbers (``seq2`` < ``seq10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


def _write_png(path: str, img: np.ndarray) -> None:
    if not cv2.imwrite(path, img):
        raise OSError(f'{path}: cannot write the PNG')


# --------------------------------------------------------------------- #
# converter machinery
@dataclass
class SequenceSource:
    """One source video: its name, split and video member (None: absent)."""
    name: str
    split: str
    video: Optional[str]


class AerialVideoConverter:
    """Archives of an aerial video dataset -> the clip layout.

    Subclasses give the dataset's rules through the hooks
    :meth:`find_sequences`, :meth:`frame_stem`, :meth:`extract_frame`,
    :meth:`select_frames`, :meth:`label_frames` and :meth:`read_label`, and
    the class attributes ``clip_len``, ``min_clip_len``, ``require_label``
    and ``val_sequences``. :meth:`run` then, for every
    sequence (sorted by :func:`natural_key`):

    1. decodes the video with OpenCV, writes the frames that
       :meth:`extract_frame` accepts, resized to ``size`` with
       ``cv2.INTER_CUBIC``; the frames kept by :meth:`select_frames` are cut
       into consecutive chunks of ``clip_len``; chunks shorter than
       ``min_clip_len`` are dropped;
    2. writes the label of every kept frame that has one (:meth:`read_label`:
       train ids at the source resolution) resized to ``size`` with Pillow's
       nearest filter; with ``require_label``, chunks without a label are
       dropped;
    3. with ``scaled_size``, writes a second copy of every clip under
       ``data_<W>x<H>/``: each frame Pillow-bilinear resized from its
       ``size`` frame and each label Pillow-nearest resized from the source
       label -- the pixels FraunhoferIVI/SSP feeds to the network
       (``read_image``/``read_mask`` of ``data/video/video_dataset.py``) when
       ``size``/``scaled_size`` are the repository's 2560x1440/1280x736;
    4. writes the marker ``.convert_state/<sequence>.json`` last.

    Finally clips are named ``<global index>_<sequence>_<local index>``
    (global index over all kept clips of all sequences in sorted order,
    local index over all chunks of the sequence, as ``generate_clips`` of
    ``tools/organize_*.py``) and listed in ``train.txt`` / ``val.txt``
    (sequences in ``val_sequences`` are val).

    Decisions where the repository is silent or unusable as a rule (each
    documented again in the converters):

    - sequence order: the repository numbers clips in ``os.listdir`` order
      (file-system dependent); here sequences are sorted by
      :func:`natural_key`, so clip names are reproducible;
    - labels are stored as train ids (``convert_labels`` applied once here,
      not at every read) and at the frame size (the repository keeps them at
      source resolution and resizes at read time; mmvseg checks that a label
      has its frame's size);
    - frames the repository extracts and then drops are not published (UAVid
      frame 0 is deleted, the last RuralScapes frame is not even written).

    Resuming: a sequence whose marker says ``complete`` is skipped (its size
    must match, else ValueError); any other sequence is converted again from
    scratch. Clips are renamed when the global numbering changes.

    Damaged input: a member that cannot be read (bad CRC, corrupt or
    truncated data, undecodable image or video) is reported as a failure;
    everything else is converted and published; the sequence stays
    incomplete (converted again by the next run). :meth:`run` returns the
    failures.

    Args:
        archives: the sources holding the videos (and possibly labels).
        out_dir: output root (e.g. ``data/UAVid``).
        size: (W, H) of the frames and labels of ``data/``.
        scaled_size: (W, H) of the copy ``data_<W>x<H>/``; None: no copy.
        nproc: sequences converted at once (threads; OpenCV, zlib and
            Pillow release the GIL).

    Raises:
        ValueError: a size that is not two positive ints, ``nproc < 1``.
    """

    #: set by subclasses
    clip_len: int = 0
    min_clip_len: int = 0
    require_label: bool = False
    val_sequences: Tuple[str, ...] = ()

    def __init__(self,
                 archives: ArchiveSet,
                 out_dir: str,
                 size: Size = (2560, 1440),
                 scaled_size: Optional[Size] = (1280, 736),
                 nproc: int = 1) -> None:
        for value in (size, ) + ((scaled_size, ) if scaled_size else ()):
            if len(value) != 2 or any(
                    not isinstance(v, int) or v < 1 for v in value):
                raise ValueError(
                    f'sizes must be (W, H) positive ints, got {value!r}')
        if nproc < 1:
            raise ValueError(f'nproc must be >= 1, got {nproc}')
        self.archives = archives
        self.out_dir = out_dir
        self.size = tuple(size)
        self.scaled_size = tuple(scaled_size) if scaled_size else None
        self.nproc = nproc

    # -- hooks --------------------------------------------------------- #
    def find_sequences(self) -> List[SequenceSource]:
        """The sequences of the sources (any order)."""
        raise NotImplementedError

    def frame_stem(self, seq: SequenceSource, index: int) -> str:
        """File stem of frame ``index`` (0-based) of ``seq``."""
        raise NotImplementedError

    def extract_frame(self, index: int) -> bool:
        """Whether video frame ``index`` is written."""
        raise NotImplementedError

    def select_frames(self, extracted: List[int],
                      num_frames: int) -> List[int]:
        """The extracted frames cut into clips, given ``num_frames``
        decoded."""
        raise NotImplementedError

    def label_frames(self, seq: SequenceSource) -> List[int]:
        """Frame indices that have a label (after the dataset's rules)."""
        raise NotImplementedError

    def read_label(self, seq: SequenceSource, index: int) -> np.ndarray:
        """(H, W) uint8 train ids of frame ``index`` at source resolution.

        Raises:
            MemberError: a label member is damaged.
        """
        raise NotImplementedError

    # -- machinery ----------------------------------------------------- #
    @property
    def copies(self) -> List[str]:
        """Output folders of the clips: ``data`` and ``data_<W>x<H>``."""
        copies = ['data']
        if self.scaled_size:
            copies.append('data_{}x{}'.format(*self.scaled_size))
        return copies

    def close(self) -> None:
        """Close the archives."""
        self.archives.close()

    def warn(self, message: str) -> None:
        """Log a warning (skipped input the repository skips too)."""
        print_log(message, logger='current', level=logging.WARNING)

    def sequences(self) -> List[SequenceSource]:
        """:meth:`find_sequences`, sorted by :func:`natural_key`, with the
        split of ``val_sequences``."""
        found = sorted(self.find_sequences(), key=lambda s: natural_key(
            s.name))
        for seq in found:
            seq.split = 'val' if seq.name in self.val_sequences else 'train'
        return found

    def _state_path(self, name: str) -> str:
        return osp.join(self.out_dir, STATE_DIR, name + '.json')

    def read_state(self, name: str) -> Optional[dict]:
        """The marker of sequence ``name``, or None."""
        path = self._state_path(name)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def _work_dir(self, name: str) -> str:
        return osp.join(self.out_dir, WORK_DIR, name)

    def _published(self, copy: str) -> Dict[Tuple[str, int], str]:
        """(sequence, local index) -> published clip folder in ``copy``."""
        root = osp.join(self.out_dir, copy)
        found = {}
        if osp.isdir(root):
            for entry in os.listdir(root):
                match = _CLIP_NAME_RE.match(entry)
                if match and osp.isdir(osp.join(root, entry)):
                    found[(match.group(2),
                           int(match.group(3)))] = osp.join(root, entry)
        return found

    def _clear_sequence(self, name: str) -> None:
        """Remove every output of sequence ``name`` (to convert it anew)."""
        state = self._state_path(name)
        if osp.exists(state):
            os.remove(state)
        shutil.rmtree(self._work_dir(name), ignore_errors=True)
        for copy in self.copies:
            for (seq, _), path in self._published(copy).items():
                if seq == name:
                    shutil.rmtree(path)

    def _extract(self, seq: SequenceSource, path: str,
                 work: str) -> Tuple[List[int], int, Optional[str]]:
        """Decode the video at ``path``; write the extracted frames.

        Returns:
            tuple: extracted frame indices, number of decoded frames, and a
            failure message when fewer frames decode than the header
            announces (truncated video), else None.

        Raises:
            MemberError: the video cannot be opened or has no frame.
        """
        cap = cv2.VideoCapture(path)
        where = self.archives.where(seq.video)
        if not cap.isOpened():
            raise MemberError(where, 'cannot be opened as a video (corrupt '
                              'or unsupported file)')
        announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        dirs = [osp.join(work, copy, FRAME_DIR) for copy in self.copies]
        for folder in dirs:
            mkdir_or_exist(folder)
        extracted, index = [], 0
        try:
            while True:
                if self.extract_frame(index):
                    ok, frame = cap.read()
                else:
                    ok, frame = cap.grab(), None
                if not ok:
                    break
                if frame is not None:
                    stem = self.frame_stem(seq, index) + '.png'
                    frame = resize_frame(frame, self.size)
                    _write_png(osp.join(dirs[0], stem), frame)
                    if self.scaled_size:
                        _write_png(
                            osp.join(dirs[1], stem),
                            pil_resize_frame(frame, self.scaled_size))
                    extracted.append(index)
                index += 1
        finally:
            cap.release()
        if index == 0:
            raise MemberError(where, 'no frame could be decoded (corrupt or '
                              'unsupported video)')
        truncated = None
        if announced > index:
            truncated = (f'{where}: truncated or corrupt video: the header '
                         f'announces {announced} frames, {index} decoded')
        return extracted, index, truncated

    def _write_label(self, seq: SequenceSource, index: int,
                     work: str) -> None:
        label = self.read_label(seq, index)
        stem = self.frame_stem(seq, index) + '.png'
        sizes = [self.size] + ([self.scaled_size] if self.scaled_size else [])
        for copy, size in zip(self.copies, sizes):
            folder = osp.join(work, copy, MASK_DIR)
            mkdir_or_exist(folder)
            _write_png(osp.join(folder, stem), pil_resize_label(label, size))

    def convert_sequence(self, seq: SequenceSource) -> dict:
        """Convert one sequence into ``.work/<sequence>/`` and write its
        marker (last).

        Returns:
            dict: the marker: ``sequence``, ``split``, ``size``,
            ``scaled_size``, ``clips`` (``dict(local, frames, labelled)``
            each), ``failures`` (messages) and ``complete``.
        """
        self._clear_sequence(seq.name)
        work = self._work_dir(seq.name)
        failures, extracted, num_frames = [], [], 0
        if seq.video is None:
            failures.append(f'{seq.name}: the video of the sequence is not '
                            f'in {self.archives.sources}')
        else:
            try:
                with self.archives.local_path(seq.video, work) as path:
                    extracted, num_frames, truncated = self._extract(
                        seq, path, work)
                if truncated:
                    failures.append(truncated)
            except MemberError as e:
                failures.append(str(e))
        selected = self.select_frames(extracted, num_frames)
        labelled = set(self.label_frames(seq))
        beyond = sorted(i for i in labelled if i >= num_frames)
        if beyond and num_frames:
            self.warn(f'{seq.name}: labels of frames {beyond} have no frame '
                      f'in the video ({num_frames} frames); skipped')
        clips = []
        for start in range(0, len(selected), self.clip_len):
            local = start // self.clip_len
            chunk = selected[start:start + self.clip_len]
            if len(chunk) < self.min_clip_len:
                continue
            written = []
            for index in chunk:
                if index not in labelled:
                    continue
                try:
                    self._write_label(seq, index, work)
                    written.append(index)
                except MemberError as e:
                    failures.append(str(e))
            if self.require_label and not written:
                continue
            for copy in self.copies:
                clip_dir = osp.join(work, copy, 'clips', str(local))
                for sub, indices in ((FRAME_DIR, chunk), (MASK_DIR, written)):
                    mkdir_or_exist(osp.join(clip_dir, sub))
                    for index in indices:
                        stem = self.frame_stem(seq, index) + '.png'
                        os.replace(
                            osp.join(work, copy, sub, stem),
                            osp.join(clip_dir, sub, stem))
            clips.append(
                dict(local=local, frames=len(chunk), labelled=len(written)))
        for copy in self.copies:
            for sub in (FRAME_DIR, MASK_DIR):
                shutil.rmtree(osp.join(work, copy, sub), ignore_errors=True)
        state = dict(
            sequence=seq.name,
            split=seq.split,
            size=list(self.size),
            scaled_size=list(self.scaled_size) if self.scaled_size else None,
            clips=clips,
            failures=failures,
            complete=not failures)
        mkdir_or_exist(osp.dirname(self._state_path(seq.name)))
        tmp = self._state_path(seq.name) + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(state, f, indent=1)
        os.replace(tmp, self._state_path(seq.name))
        return state

    def _check_done(self, seq: SequenceSource) -> bool:
        """Whether ``seq`` is complete with the requested sizes."""
        state = self.read_state(seq.name)
        if state is None or not state['complete']:
            return False
        scaled = list(self.scaled_size) if self.scaled_size else None
        if state['size'] != list(self.size) or \
                state['scaled_size'] != scaled:
            raise ValueError(
                f'{self._state_path(seq.name)}: sequence {seq.name} was '
                f'converted with size {state["size"]} and scaled size '
                f'{state["scaled_size"]}, now {list(self.size)} and '
                f'{scaled}; use the same sizes or another output folder')
        return True

    def publish(self, seqs: Sequence[SequenceSource]) -> Dict[str, List[str]]:
        """Name the clips, move them into place, write the split lists.

        Returns:
            dict: ``'train'`` / ``'val'`` -> clip names.

        Raises:
            FileNotFoundError: a clip of a marker is neither in ``.work`` nor
                published (outputs deleted by hand; delete the marker).
        """
        published = {copy: self._published(copy) for copy in self.copies}
        splits = dict(train=[], val=[])
        global_index = 0
        for seq in seqs:
            state = self.read_state(seq.name)
            if state is None:
                continue
            for clip in state['clips']:
                name = f'{global_index}_{seq.name}_{clip["local"]}'
                for copy in self.copies:
                    dst = osp.join(self.out_dir, copy, name)
                    src = osp.join(
                        self._work_dir(seq.name), copy, 'clips',
                        str(clip['local']))
                    if not osp.isdir(src):
                        src = published[copy].get((seq.name, clip['local']))
                    if src is None:
                        raise FileNotFoundError(
                            f'{dst}: clip {clip["local"]} of sequence '
                            f'{seq.name} is missing; delete '
                            f'{self._state_path(seq.name)} to convert the '
                            'sequence again')
                    if src != dst:
                        mkdir_or_exist(osp.dirname(dst))
                        os.replace(src, dst)
                splits[state['split']].append(name)
                global_index += 1
            if state['complete']:
                shutil.rmtree(self._work_dir(seq.name), ignore_errors=True)
        work_root = osp.join(self.out_dir, WORK_DIR)
        if osp.isdir(work_root) and not os.listdir(work_root):
            os.rmdir(work_root)
        for split, names in splits.items():
            path = osp.join(self.out_dir, f'{split}.txt')
            with open(path + '.tmp', 'w') as f:
                f.writelines(name + '\n' for name in names)
            os.replace(path + '.tmp', path)
        return splits

    def run(self) -> List[str]:
        """Convert every sequence not done yet, then publish.

        Returns:
            list[str]: failure messages (``'<archive>:<member>: <reason>'``),
            empty when everything was converted.

        Raises:
            ValueError: no sequence in the sources; a finished sequence
                converted with other sizes.
        """
        seqs = self.sequences()
        if not seqs:
            raise ValueError(f'no sequence found in {self.archives.sources}')
        mkdir_or_exist(self.out_dir)
        todo = [seq for seq in seqs if not self._check_done(seq)]
        skipped = len(seqs) - len(todo)
        print_log(
            f'{len(todo)} sequences to convert'
            + (f' ({skipped} already done)' if skipped else ''),
            logger='current')
        states = []
        if todo:
            progress = ProgressBar(len(todo), file=sys.stdout)
            if self.nproc == 1:
                for seq in todo:
                    states.append(self.convert_sequence(seq))
                    progress.update()
            else:
                with ThreadPoolExecutor(self.nproc) as pool:
                    futures = [
                        pool.submit(self.convert_sequence, seq)
                        for seq in todo
                    ]
                    for future in as_completed(futures):
                        states.append(future.result())
                        progress.update()
            sys.stdout.write('\n')
        splits = self.publish(seqs)
        print_log(
            f'{len(splits["train"])} train and {len(splits["val"])} val clips '
            f'in {self.out_dir}',
            logger='current')
        return [f for state in states for f in state['failures']]


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``-o/--out-dir``, ``--size``, ``--scaled-size``, ``--nproc``."""
    parser.add_argument(
        '-o', '--out-dir', required=True, help='output root folder')
    parser.add_argument(
        '--size',
        type=_size_arg(allow_none=False),
        default=(2560, 1440),
        help='WxH of the frames and labels of <out-dir>/data '
        '(default 2560x1440, as FraunhoferIVI/SSP)')
    parser.add_argument(
        '--scaled-size',
        type=_size_arg(allow_none=True),
        default=(1280, 736),
        help='WxH of the copy <out-dir>/data_<W>x<H> read by the configs '
        '(default 1280x736, the network input of FraunhoferIVI/SSP); '
        '"none" for no copy')
    parser.add_argument(
        '--nproc', type=int, default=1, help='sequences converted at once')


def report(failures: List[str]) -> int:
    """Print the failures to stderr; the exit status (0 or 1)."""
    if not failures:
        return 0
    print(
        f'{len(failures)} archive members could not be converted (the rest '
        'was; run again after repairing them to finish):',
        file=sys.stderr)
    for failure in failures:
        print(f'  {failure}', file=sys.stderr)
    return 1
