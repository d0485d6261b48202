# Copyright (c) mmvseg contributors. All rights reserved.
"""RuralScapes videos + manual labels -> the RuralScapes clip layout.

Usage::

    python tools/dataset_converters/ruralscapes.py Ruralscapes.zip \\
        -o data/ruralscapes [--size 2560x1440] [--scaled-size 1280x736|none] \\
        [--nproc 1]

Input (zip archive(s) or the extracted folder; the folder prefix inside the
archive does not matter): ``videos/<video>.MP4`` (also ``.mp4``/``.avi``/
``.mov``) and ``labels/manual_labels/<video>/segfull_<video>_<frame>.png``
(RGB). Other folders (e.g. ``labels/segprop_labels``) are not used.

Output (``-o``)::

    data/<g>_<video>_<l>/origin/segfull_<video>_<frame:06d>.png   --size
    data/<g>_<video>_<l>/mask/segfull_<video>_<frame:06d>.png     ids 0..11
    data_1280x736/<g>_<video>_<l>/{origin,mask}/    --scaled-size copy
    train.txt  val.txt                              clip names
    .convert_state/<video>.json                     resume markers

Rules of FraunhoferIVI/SSP (``tools/extract_frames_ruralscapes.py``,
``tools/organize_ruralscapes.py``; class list and label conversion in
``data/datasets.py``), reproduced here:

- frames 0, 5, 10, ... of each video, plus its last frame, are extracted
  with OpenCV, resized to 2560x1440 with ``cv2.INTER_CUBIC`` and named
  ``segfull_<video>_<frame:06d>.png``;
- colours map by exact RGB match: (0,0,0) 0 unlabeled, (255,255,0) 1
  residential, (0,255,0) 2 land, (0,127,0) 3 forest, (0,255,255) 4 sky,
  (127,127,0) 5 fence, (255,255,255) 6 road, (127,127,63) 7 hill,
  (255,0,255) 8 church, (127,127,127) 9 car, (255,0,0) 10 person,
  (255,127,0) 11 haystack, (0,0,255) 12 water, other colours 0;
  ``convert_labels`` (0 -> 255, ``v -> v - 1``) gives the 12 train ids;
- per video the first and last extracted frames and the first and last
  label files are dropped; the remaining frames are cut into consecutive
  clips of 50; clips without a label or shorter than 10 frames are dropped;
  a frame is labelled when a label of its name exists, so a clip can hold
  several labelled frames anywhere;
- val videos: DJI_0051, DJI_0056, DJI_0061, DJI_0086, DJI_0088, DJI_0089,
  DJI_0116; the others are train; videos without a label folder are
  skipped.

mmvseg decisions (see
:class:`mmvseg.datasets.conversion.aerial_video.AerialVideoConverter`):
videos are numbered in natural order (the repository: ``os.listdir``
order); labels are matched to frames, and sorted, by the frame number that
ends their name (the repository: by file name, the same for zero-padded
names); the extracted last frame is always dropped by the repository, so it
is not written; "first/last" of the labels are those of the label folder,
by frame number, as in the repository; labels are stored as train ids at the
frame size (Pillow nearest); the ``--scaled-size`` copy holds the frames and
labels as the repository reads them (Pillow bilinear / nearest to
1280x736); the end of a video is where OpenCV stops decoding (the
repository trusts ``CAP_PROP_FRAME_COUNT``; a shortfall is reported as a
truncated video).

The RuralScapes zip is known to be corrupt in places: each damaged member
is reported (``<archive>:<member>: <reason>``), the rest is converted, and
the exit status is 1; a second run converts only the videos left
incomplete.
"""
import argparse
import re
import sys
from typing import List, Optional, Sequence

import cv2
import numpy as np

from mmvseg.datasets.conversion import (AerialVideoConverter, ArchiveSet,
                                        SequenceSource, add_common_args,
                                        colour_lut, converter_options,
                                        rgb_to_index, run_converter,
                                        to_train_ids)

#: RGB -> stored id (``mapping_list`` of
#: ``tools/extract_frames_ruralscapes.py``); other colours -> 0.
RURALSCAPES_COLOURS = {
    (0, 0, 0): 0,
    (255, 255, 0): 1,
    (0, 255, 0): 2,
    (0, 127, 0): 3,
    (0, 255, 255): 4,
    (127, 127, 0): 5,
    (255, 255, 255): 6,
    (127, 127, 63): 7,
    (255, 0, 255): 8,
    (127, 127, 127): 9,
    (255, 0, 0): 10,
    (255, 127, 0): 11,
    (0, 0, 255): 12,
}
NUM_CLASSES = 12
FRAME_STEP = 5
VAL_SEQUENCES = ('DJI_0051', 'DJI_0056', 'DJI_0061', 'DJI_0086', 'DJI_0088',
                 'DJI_0089', 'DJI_0116')

_VIDEO_RE = re.compile(r'(?:^|/)videos/([^/]+)\.(?:mp4|avi|mov)$', re.I)
_LABEL_RE = re.compile(r'(?:^|/)labels/manual_labels/([^/]+)/([^/]+)\.png$')


def ruralscapes_label(bgr: np.ndarray,
                      lut: Optional[np.ndarray] = None) -> np.ndarray:
    """Train ids of a RuralScapes colour label.

    Args:
        bgr: (H, W, 3) uint8 colour label, OpenCV BGR order.
        lut: :func:`colour_lut` of :data:`RURALSCAPES_COLOURS` (built when
            None).

    Returns:
        np.ndarray: (H, W) uint8 train ids 0..11, 255 for unlabeled and
        unknown colours.
    """
    raw = rgb_to_index(
        bgr, colour_lut(RURALSCAPES_COLOURS) if lut is None else lut)
    return to_train_ids(raw, NUM_CLASSES)


class RuralScapesConverter(AerialVideoConverter):
    """RuralScapes rules on :class:`AerialVideoConverter` (module doc).

    Args:
        sources: RuralScapes zip(s) or folder(s).
        out_dir: output root.
        **kwargs: ``size``, ``scaled_size``, ``nproc`` of
            :class:`AerialVideoConverter`.

    Raises:
        FileNotFoundError / ValueError: a missing or unreadable archive.
    """
    clip_len = 50
    min_clip_len = 10
    require_label = True
    val_sequences = VAL_SEQUENCES

    def __init__(self, sources: Sequence[str], out_dir: str,
                 **kwargs) -> None:
        super().__init__(ArchiveSet(sources), out_dir, **kwargs)
        self.lut = colour_lut(RURALSCAPES_COLOURS)
        self._videos = self.archives.members_by_sequence(_VIDEO_RE)
        # labels whose name lacks a trailing frame number: warned, skipped
        self._labels = self.archives.frames_by_sequence(_LABEL_RE)

    def find_sequences(self) -> List[SequenceSource]:
        unlabelled = sorted(set(self._videos) - set(self._labels))
        if unlabelled:
            self.warn(f'videos {unlabelled} have no manual labels; skipped')
        no_video = sorted(set(self._labels) - set(self._videos))
        if no_video:
            self.warn(f'labels of {no_video} have no video; skipped')
        return [
            SequenceSource(name, 'train', video)
            for name, video in self._videos.items() if name in self._labels
        ]

    def frame_stem(self, seq: SequenceSource, index: int) -> str:
        return f'segfull_{seq.name}_{index:06d}'

    def extract_frame(self, index: int) -> bool:
        return index % FRAME_STEP == 0

    def select_frames(self, extracted: List[int],
                      num_frames: int) -> List[int]:
        # extracted = 0, 5, ... plus the last frame; organize_ruralscapes.py
        # keeps image_files[1:-1]: never frame 0 nor the last frame.
        return [i for i in extracted if 0 < i < num_frames - 1]

    def label_frames(self, seq: SequenceSource) -> List[int]:
        # organize_ruralscapes.py: label_files[1:-1]
        return sorted(self._labels[seq.name])[1:-1]

    def read_label(self, seq: SequenceSource, index: int) -> np.ndarray:
        name = self._labels[seq.name][index]
        return ruralscapes_label(
            self.archives.read_image(name, cv2.IMREAD_COLOR), self.lut)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert RuralScapes (videos + manual labels) to the '
        'mmvseg clip layout (FraunhoferIVI/SSP rules).')
    parser.add_argument(
        'sources', nargs='+', help='Ruralscapes.zip (or its folder)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the conversion; returns the exit status (1: damaged members)."""
    args = parse_args(argv)
    return run_converter(
        RuralScapesConverter(args.sources, args.out_dir,
                             **converter_options(args)))


if __name__ == '__main__':
    sys.exit(main())
