# Copyright (c) mmvseg contributors. All rights reserved.
"""The conversion of an aerial video dataset into the clip layout.

:class:`AerialVideoConverter` is the machinery shared by
``tools/dataset_converters/uavid_vdd.py`` and ``ruralscapes.py``: frame
extraction, label writing, clip cutting, threads and the resumable run
(markers and publishing through :class:`~.output.ClipOutput`). Each
converter subclasses it with its dataset's rules (FraunhoferIVI/SSP
``process_dataset.sh``, ``tools/extract_frames_*.py``,
``tools/organize_*.py``). The layout written is the one
read by :class:`mmvseg.datasets.aerial_video.AerialClipDataset`.
"""
import logging
import os
import os.path as osp
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import List, Optional, Set, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar, mkdir_or_exist

from ..aerial_video import FRAME_DIR, MASK_DIR
from .archives import ArchiveSet, MemberError
from .output import ClipOutput
from .pixels import (Size, pil_resize_frame, pil_resize_label, resize_frame,
                     write_png)


@dataclass
class SequenceSource:
    """One source video: its name, split and video member (None: absent)."""
    name: str
    split: str
    video: Optional[str]


def natural_key(name: str) -> list:
    """Sort key comparing digit runs as numbers (``seq2`` < ``seq10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


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

    Resuming (:class:`~.output.ClipOutput`, :attr:`output`): a sequence
    whose marker says ``complete`` is skipped (its size must match, else
    ValueError); any other sequence is converted again from scratch. Clips
    are renamed when the global numbering changes.

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
        self.output = ClipOutput(out_dir, size, scaled_size)
        self.size = self.output.size
        self.scaled_size = self.output.scaled_size
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
        dirs = [osp.join(work, copy, FRAME_DIR) for copy in self.output.copies]
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
                    write_png(osp.join(dirs[0], stem), frame)
                    if self.scaled_size:
                        write_png(
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

    def _decode_video(self, seq: SequenceSource, work: str,
                      failures: List[str]) -> Tuple[List[int], int]:
        """:meth:`_extract` the video of ``seq``; its problems are appended
        to ``failures``.

        Returns:
            tuple: extracted frame indices and number of decoded frames
            (none when the video is absent or unreadable).
        """
        if seq.video is None:
            failures.append(f'{seq.name}: the video of the sequence is not '
                            f'in {self.archives.sources}')
            return [], 0
        try:
            with self.archives.local_path(seq.video, work) as path:
                extracted, num_frames, truncated = self._extract(
                    seq, path, work)
        except MemberError as e:
            failures.append(str(e))
            return [], 0
        if truncated:
            failures.append(truncated)
        return extracted, num_frames

    def _write_label(self, seq: SequenceSource, index: int,
                     work: str) -> None:
        label = self.read_label(seq, index)
        stem = self.frame_stem(seq, index) + '.png'
        sizes = [self.size] + ([self.scaled_size] if self.scaled_size else [])
        for copy, size in zip(self.output.copies, sizes):
            folder = osp.join(work, copy, MASK_DIR)
            mkdir_or_exist(folder)
            write_png(osp.join(folder, stem), pil_resize_label(label, size))

    def _cut_clips(self, seq: SequenceSource, selected: List[int],
                   labelled: Set[int], work: str,
                   failures: List[str]) -> List[dict]:
        """Write the labels of the kept chunks of ``selected`` and move
        their frames and labels into ``<work>/<copy>/clips/<local>/``;
        label failures are appended to ``failures``.

        Returns:
            list[dict]: ``dict(local, frames, labelled)`` per kept clip.
        """
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
            for copy in self.output.copies:
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
        return clips

    def convert_sequence(self, seq: SequenceSource) -> dict:
        """Convert one sequence into ``.work/<sequence>/`` and write its
        marker (last).

        Returns:
            dict: the marker (:meth:`ClipOutput.write_state`): ``sequence``,
            ``split``, ``size``, ``scaled_size``, ``clips``
            (``dict(local, frames, labelled)`` each), ``failures``
            (messages) and ``complete``.
        """
        self.output.clear_sequence(seq.name)
        work = self.output.work_dir(seq.name)
        failures: List[str] = []
        extracted, num_frames = self._decode_video(seq, work, failures)
        selected = self.select_frames(extracted, num_frames)
        labelled = set(self.label_frames(seq))
        beyond = sorted(i for i in labelled if i >= num_frames)
        if beyond and num_frames:
            self.warn(f'{seq.name}: labels of frames {beyond} have no frame '
                      f'in the video ({num_frames} frames); skipped')
        clips = self._cut_clips(seq, selected, labelled, work, failures)
        for copy in self.output.copies:
            for sub in (FRAME_DIR, MASK_DIR):
                shutil.rmtree(osp.join(work, copy, sub), ignore_errors=True)
        return self.output.write_state(seq.name, seq.split, clips, failures)

    def run(self) -> List[str]:
        """Convert every sequence not done yet, then publish.

        Returns:
            list[str]: failure messages (``'<archive>:<member>: <reason>'``),
            empty when everything was converted.

        Raises:
            ValueError: no sequence in the sources; a finished sequence
                converted with other sizes.
            FileNotFoundError: a finished sequence's clip was deleted
                (:meth:`ClipOutput.publish`).
        """
        seqs = self.sequences()
        if not seqs:
            raise ValueError(f'no sequence found in {self.archives.sources}')
        mkdir_or_exist(self.output.out_dir)
        todo = [seq for seq in seqs if not self.output.is_done(seq.name)]
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
        splits = self.output.publish([seq.name for seq in seqs])
        print_log(
            f'{len(splits["train"])} train and {len(splits["val"])} val clips '
            f'in {self.output.out_dir}',
            logger='current')
        return [f for state in states for f in state['failures']]
