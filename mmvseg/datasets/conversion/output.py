# Copyright (c) mmvseg contributors. All rights reserved.
"""The output folder of an aerial video conversion: resume state and
publishing.

:class:`ClipOutput` owns every path under the output root::

    <out>/data/<clip>/{origin,mask}/          published clips (``size``)
    <out>/data_<W>x<H>/<clip>/{origin,mask}/  the ``scaled_size`` copy
    <out>/train.txt  <out>/val.txt            clip names
    <out>/.work/<seq>/<copy>/clips/<local>/   clips of a sequence being
                                              converted
    <out>/.convert_state/<seq>.json           per-sequence markers

The clip sub-folders are those of the reader
(:data:`mmvseg.datasets.aerial_video.FRAME_DIR` / ``MASK_DIR``). Clips are
named ``<global index>_<sequence>_<local index>`` (``generate_clips`` of
FraunhoferIVI/SSP ``tools/organize_*.py``).
"""
import json
import os
import os.path as osp
import re
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.utils import mkdir_or_exist

from .pixels import Size

#: Published clip folder ``<global index>_<sequence>_<local index>``.
_CLIP_NAME_RE = re.compile(r'^(\d+)_(.+)_(\d+)$')
WORK_DIR = '.work'
STATE_DIR = '.convert_state'


class ClipOutput:
    """Work folders, resume markers and published clips of a conversion.

    A sequence is converted into :meth:`work_dir` and its marker written
    last (:meth:`write_state`); :meth:`publish` then moves the clips of all
    sequences into place under their global names, so a run interrupted at
    any point leaves either a marker-less sequence (converted again) or
    clips that the next :meth:`publish` finds and renames.

    Args:
        out_dir: output root (e.g. ``data/UAVid``).
        size: (W, H) of the frames and labels of ``data/``.
        scaled_size: (W, H) of the copy ``data_<W>x<H>/``; None: no copy.
    """

    def __init__(self, out_dir: str, size: Size,
                 scaled_size: Optional[Size]) -> None:
        self.out_dir = out_dir
        self.size = tuple(size)
        self.scaled_size = tuple(scaled_size) if scaled_size else None

    @property
    def copies(self) -> List[str]:
        """Output folders of the clips: ``data`` and ``data_<W>x<H>``."""
        copies = ['data']
        if self.scaled_size:
            copies.append('data_{}x{}'.format(*self.scaled_size))
        return copies

    def state_path(self, name: str) -> str:
        """The marker file of sequence ``name``."""
        return osp.join(self.out_dir, STATE_DIR, name + '.json')

    def read_state(self, name: str) -> Optional[dict]:
        """The marker of sequence ``name``, or None."""
        path = self.state_path(name)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def write_state(self, name: str, split: str, clips: List[dict],
                    failures: List[str]) -> dict:
        """Write the marker of sequence ``name`` atomically.

        Args:
            name: the sequence.
            split: ``'train'`` or ``'val'``.
            clips: ``dict(local, frames, labelled)`` per kept clip.
            failures: messages of the members that could not be converted.

        Returns:
            dict: the marker: ``sequence``, ``split``, ``size``,
            ``scaled_size``, ``clips``, ``failures`` and ``complete`` (no
            failures).
        """
        state = dict(
            sequence=name,
            split=split,
            size=list(self.size),
            scaled_size=list(self.scaled_size) if self.scaled_size else None,
            clips=clips,
            failures=failures,
            complete=not failures)
        path = self.state_path(name)
        mkdir_or_exist(osp.dirname(path))
        with open(path + '.tmp', 'w') as f:
            json.dump(state, f, indent=1)
        os.replace(path + '.tmp', path)
        return state

    def work_dir(self, name: str) -> str:
        """The folder where sequence ``name`` is converted."""
        return osp.join(self.out_dir, WORK_DIR, name)

    def published(self, copy: str) -> Dict[Tuple[str, int], str]:
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

    def clear_sequence(self, name: str) -> None:
        """Remove every output of sequence ``name`` (to convert it anew)."""
        state = self.state_path(name)
        if osp.exists(state):
            os.remove(state)
        shutil.rmtree(self.work_dir(name), ignore_errors=True)
        for copy in self.copies:
            for (seq, _), path in self.published(copy).items():
                if seq == name:
                    shutil.rmtree(path)

    def is_done(self, name: str) -> bool:
        """Whether sequence ``name`` is complete with the sizes of ``self``.

        Raises:
            ValueError: it is complete with other sizes (names the marker).
        """
        state = self.read_state(name)
        if state is None or not state['complete']:
            return False
        scaled = list(self.scaled_size) if self.scaled_size else None
        if state['size'] != list(self.size) or \
                state['scaled_size'] != scaled:
            raise ValueError(
                f'{self.state_path(name)}: sequence {name} was '
                f'converted with size {state["size"]} and scaled size '
                f'{state["scaled_size"]}, now {list(self.size)} and '
                f'{scaled}; use the same sizes or another output folder')
        return True

    def publish(self, sequences: Sequence[str]) -> Dict[str, List[str]]:
        """Name the clips, move them into place, write the split lists.

        Args:
            sequences: the sequence names in clip numbering order; those
                without a marker are skipped.

        Returns:
            dict: ``'train'`` / ``'val'`` -> clip names.

        Raises:
            FileNotFoundError: a clip of a marker is neither in ``.work`` nor
                published (outputs deleted by hand; delete the marker).
        """
        published = {copy: self.published(copy) for copy in self.copies}
        splits = dict(train=[], val=[])
        global_index = 0
        for seq in sequences:
            state = self.read_state(seq)
            if state is None:
                continue
            for clip in state['clips']:
                name = f'{global_index}_{seq}_{clip["local"]}'
                for copy in self.copies:
                    dst = osp.join(self.out_dir, copy, name)
                    src = osp.join(
                        self.work_dir(seq), copy, 'clips', str(clip['local']))
                    if not osp.isdir(src):
                        src = published[copy].get((seq, clip['local']))
                    if src is None:
                        raise FileNotFoundError(
                            f'{dst}: clip {clip["local"]} of sequence '
                            f'{seq} is missing; delete '
                            f'{self.state_path(seq)} to convert the '
                            'sequence again')
                    if src != dst:
                        mkdir_or_exist(osp.dirname(dst))
                        os.replace(src, dst)
                splits[state['split']].append(name)
                global_index += 1
            if state['complete']:
                shutil.rmtree(self.work_dir(seq), ignore_errors=True)
        work_root = osp.join(self.out_dir, WORK_DIR)
        if osp.isdir(work_root) and not os.listdir(work_root):
            os.rmdir(work_root)
        for split, clip_names in splits.items():
            path = osp.join(self.out_dir, f'{split}.txt')
            with open(path + '.tmp', 'w') as f:
                f.writelines(name + '\n' for name in clip_names)
            os.replace(path + '.tmp', path)
        return splits
