# Copyright (c) mmvseg contributors. All rights reserved.
"""UAVid v1.5 (video support) + VDD labels -> the UAVid clip layout.

Usage::

    python tools/dataset_converters/uavid_vdd.py \\
        uavid_v1.5_official_release.zip UAVid7-<date>-001.zip [VDD zips] \\
        -o data/UAVid [--size 2560x1440] [--scaled-size 1280x736|none] \\
        [--nproc 1]

Inputs (zip archives or their extracted folders; the folder prefix inside
the archive does not matter):

- UAVid "Semantic Labelling with Video Support":
  ``uavid_train|uavid_val/<seq>/images.mp4`` and
  ``uavid_train|uavid_val/<seq>/Labels/<frame:06d>.png`` (RGB);
  ``uavid_test`` (no labels) is not used, as in the repository;
- VDD's UAVid7 re-annotation: ``.../<seq>/VDD_Labels/<frame:06d>.png``
  (grayscale class ids).

Output (``-o``)::

    data/<g>_<seq>_<l>/origin/<frame:06d>.png   frames, --size (W x H)
    data/<g>_<seq>_<l>/mask/<frame:06d>.png     train ids 0..7, 255 ignore
    data_1280x736/<g>_<seq>_<l>/{origin,mask}/  --scaled-size copy (configs)
    train.txt  val.txt                          clip names
    .convert_state/<seq>.json                   resume markers

Rules of FraunhoferIVI/SSP (``process_dataset.sh``,
``tools/extract_frames_uavid.py``, ``tools/organize_uavid.py``; class list
and label conversion in ``data/datasets.py``), reproduced here:

- every frame of ``images.mp4`` is decoded with OpenCV and resized to
  2560x1440 with ``cv2.INTER_CUBIC`` (``--resize``), named
  ``<frame index:06d>.png``;
- a frame is labelled when both a UAVid and a VDD label of its name exist.
  UAVid colours map by exact RGB match: (0,0,0) 0 clutter, (128,64,128) 1
  road, (128,128,0) 2 low vegetation, (0,128,0) 3 tree, (64,64,0) 4 human,
  (64,0,128) and (192,0,192) 5 moving/static car, (128,0,0) 7 building,
  other colours 0; then VDD water (6) becomes 6 where the UAVid id is 0 and
  VDD roof (5) becomes 8 where it is 7; ``convert_labels`` (0 -> 255,
  ``v -> v - 1``) gives the 8 train ids road, vegetation, tree, person,
  vehicle, water, building, roof;
- frame 000000 is dropped, the remaining frames are cut into consecutive
  clips of 100 (with labels every 100 frames a clip is frames
  100k+1..100k+100, labelled on its last frame); clips shorter than 50
  frames are dropped;
- val sequences: seq16, seq17, seq18, seq19, seq20, seq36, seq37; the other
  sequences of both release folders are train.

mmvseg decisions (see
:class:`mmvseg.datasets.conversion.aerial_video.AerialVideoConverter`):
sequences are numbered in natural order (the repository: ``os.listdir``
order); labels are stored as train ids at the frame size (Pillow nearest);
the ``--scaled-size`` copy holds the frames and labels as the repository
reads them (Pillow bilinear / nearest to 1280x736); labels and VDD labels
are matched by frame number, the VDD label of a sequence by its folder name
(``UAVid7/<split>/<seq>``); the colour copy of the labels
(``mask_colored``), unused for training and evaluation, is not written.

A damaged archive member is reported (``<archive>:<member>: <reason>``),
the rest is converted, and the exit status is 1; a second run converts only
the sequences left incomplete.
"""
import argparse
import re
import sys
from typing import List, Optional, Sequence

import cv2
import numpy as np

from mmvseg.datasets.conversion import (AerialVideoConverter, ArchiveSet,
                                        MemberError, SequenceSource,
                                        add_common_args, colour_lut,
                                        converter_options, rgb_to_index,
                                        run_converter, to_train_ids)

#: UAVid RGB -> stored id (``process_and_merge_masks`` of
#: ``tools/organize_uavid.py``); other colours -> 0.
UAVID_COLOURS = {
    (0, 0, 0): 0,
    (128, 64, 128): 1,
    (128, 128, 0): 2,
    (0, 128, 0): 3,
    (64, 64, 0): 4,
    (64, 0, 128): 5,
    (192, 0, 192): 5,
    (128, 0, 0): 7,
}
#: VDD ids used by the merge, and the stored ids they become.
VDD_ROOF, VDD_WATER = 5, 6
RAW_BACKGROUND, RAW_WATER, RAW_BUILDING, RAW_ROOF = 0, 6, 7, 8
NUM_CLASSES = 8
VAL_SEQUENCES = ('seq16', 'seq17', 'seq18', 'seq19', 'seq20', 'seq36',
                 'seq37')

_VIDEO_RE = re.compile(r'(?:^|/)(?:uavid_train|uavid_val)/([^/]+)/'
                       r'images\.mp4$')
_LABEL_RE = re.compile(r'(?:^|/)(?:uavid_train|uavid_val)/([^/]+)/Labels/'
                       r'(\d+)\.png$')
_VDD_RE = re.compile(r'(?:^|/)([^/]+)/VDD_Labels/(\d+)\.png$')


def merge_labels(uavid_bgr: np.ndarray, vdd: np.ndarray,
                 lut: Optional[np.ndarray] = None) -> np.ndarray:
    """Stored ids of a UAVid label refined by its VDD label.

    Args:
        uavid_bgr: (H, W, 3) uint8 UAVid colour label, OpenCV BGR order.
        vdd: (H, W) uint8 VDD class ids.
        lut: :func:`colour_lut` of :data:`UAVID_COLOURS` (built when None).

    Returns:
        np.ndarray: (H, W) uint8 stored ids 0..8 (0 clutter, 6 water,
        7 building, 8 roof); apply ``to_train_ids(·, 8)`` for train ids.

    Raises:
        ValueError: the two labels differ in size.
    """
    if uavid_bgr.shape[:2] != vdd.shape:
        raise ValueError(f'UAVid label size {uavid_bgr.shape[:2]} differs '
                         f'from VDD label size {vdd.shape}')
    raw = rgb_to_index(uavid_bgr,
                       colour_lut(UAVID_COLOURS) if lut is None else lut)
    raw[(vdd == VDD_ROOF) & (raw == RAW_BUILDING)] = RAW_ROOF
    raw[(vdd == VDD_WATER) & (raw == RAW_BACKGROUND)] = RAW_WATER
    return raw


class UAVidVDDConverter(AerialVideoConverter):
    """UAVid + VDD rules on :class:`AerialVideoConverter` (module doc).

    Args:
        uavid: UAVid release zip(s) or folder(s).
        vdd: VDD UAVid7 zip(s) or folder(s).
        out_dir: output root.
        **kwargs: ``size``, ``scaled_size``, ``nproc`` of
            :class:`AerialVideoConverter`.

    Raises:
        FileNotFoundError / ValueError: a missing or unreadable archive.
    """
    clip_len = 100
    min_clip_len = 50
    require_label = False
    val_sequences = VAL_SEQUENCES

    def __init__(self, uavid: Sequence[str], vdd: Sequence[str],
                 out_dir: str, **kwargs) -> None:
        super().__init__(ArchiveSet(uavid), out_dir, **kwargs)
        self.vdd = ArchiveSet(vdd)
        self.lut = colour_lut(UAVID_COLOURS)
        self._videos = self.archives.members_by_sequence(_VIDEO_RE)
        self._labels = self.archives.frames_by_sequence(_LABEL_RE)
        self._vdd_labels = self.vdd.frames_by_sequence(_VDD_RE)

    def close(self) -> None:
        super().close()
        self.vdd.close()

    def find_sequences(self) -> List[SequenceSource]:
        names = set(self._videos) | set(self._labels)
        extra = sorted(set(self._vdd_labels) - names)
        if extra:
            self.warn(f'VDD labels of sequences {extra} have no UAVid '
                      'sequence; skipped')
        return [
            SequenceSource(name, 'train', self._videos.get(name))
            for name in names
        ]

    def frame_stem(self, seq: SequenceSource, index: int) -> str:
        return f'{index:06d}'

    def extract_frame(self, index: int) -> bool:
        return True

    def select_frames(self, extracted: List[int],
                      num_frames: int) -> List[int]:
        # organize_uavid.py: sorted(os.listdir(origin_dir))[1:]
        return extracted[1:]

    def label_frames(self, seq: SequenceSource) -> List[int]:
        uavid, vdd = self._labels[seq.name], self._vdd_labels[seq.name]
        for what, only in (('UAVid', set(uavid) - set(vdd)),
                           ('VDD', set(vdd) - set(uavid))):
            if only:
                self.warn(f'{seq.name}: {what} labels of frames '
                          f'{sorted(only)} have no counterpart; those frames '
                          'stay unlabelled')
        return sorted(set(uavid) & set(vdd))

    def read_label(self, seq: SequenceSource, index: int) -> np.ndarray:
        uavid_name = self._labels[seq.name][index]
        vdd_name = self._vdd_labels[seq.name][index]
        uavid = self.archives.read_image(uavid_name, cv2.IMREAD_COLOR)
        vdd = self.vdd.read_image(vdd_name, cv2.IMREAD_GRAYSCALE)
        try:
            raw = merge_labels(uavid, vdd, self.lut)
        except ValueError as e:
            raise MemberError(self.archives.where(uavid_name),
                              f'{e} ({self.vdd.where(vdd_name)})') from e
        return to_train_ids(raw, NUM_CLASSES)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert UAVid v1.5 (video support) and the VDD UAVid7 '
        'labels to the mmvseg clip layout (FraunhoferIVI/SSP rules).')
    parser.add_argument(
        'uavid', help='uavid_v1.5_official_release.zip (or its folder)')
    parser.add_argument(
        'vdd', nargs='+', help='the VDD UAVid7 zip(s) (or folder)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the conversion; returns the exit status (1: damaged members)."""
    args = parse_args(argv)
    return run_converter(
        UAVidVDDConverter([args.uavid], args.vdd, args.out_dir,
                          **converter_options(args)))


if __name__ == '__main__':
    sys.exit(main())
