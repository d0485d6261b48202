# Copyright (c) mmvseg contributors. All rights reserved.
"""Cityscapes-Seq: the 30-frame snippets of Cityscapes read as videos.

Source of the layout: the official ``leftImg8bit_sequence`` and ``gtFine``
packages of Cityscapes (Cordts et al., "The Cityscapes Dataset for Semantic
Urban Scene Understanding", CVPR 2016). Classes and palette: mmseg's
:class:`mmseg.datasets.CityscapesDataset` (the 19 train ids).
"""
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional

import mmengine
from mmseg.datasets import CityscapesDataset

from mmvseg.registry import DATASETS
from .base_video_dataset import BaseVideoSegDataset

#: Snippet lists shipped with mmvseg, selected by name as ``ann_file``.
#: ``'val_sam'``: the 108 val snippets on which ETC (Liu et al., ECCV 2020)
#: measures temporal consistency (source in the file's header).
SNIPPET_LISTS = {
    'val_sam':
    osp.join(osp.dirname(osp.abspath(__file__)), 'data',
             'cityscapes_val_sam.txt'),
}

#: ``<city>_<seq>_<frame>``: the sequence ``<city>_<seq>`` and the frame.
_STEM_RE = re.compile(r'^(?P<sequence>[^_]+_\d{6})_(?P<frame>\d{6})$')


@DATASETS.register_module()
class CityscapesSeqDataset(BaseVideoSegDataset):
    """Cityscapes video snippets, one video per snippet.

    Layout (paths relative to ``data_root``)::

        leftImg8bit_sequence/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
        gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png

    Frames may be ``.png`` (official) or ``.jpg`` (re-encoded copies); one
    frame must not exist in both. ``<seq>`` and ``<frame>`` have 6 digits.

    A **snippet** is a run of :attr:`SNIPPET_LENGTH` (30) consecutive frame
    numbers of one sequence ``<city>_<seq>``; its annotated frame is the 20th
    (index :attr:`ANNOTATED_INDEX` = 19). Most sequences hold one snippet,
    frames ``000000`` to ``000029``; the long *frankfurt* sequences of val
    hold many, separated by gaps in the numbering (``frankfurt_000000``
    frames ``000997`` to ``001026`` around the annotated ``001016``). A
    snippet is named by its annotated frame, ``<city>_<seq>_<frame>``
    (``aachen_000000_000019``, ``frankfurt_000000_001016``): this is its
    ``video_id``. ``frame_id`` is the frame number of the file name.

    A frame is labelled when its ``gtFine`` train-id file exists (19 classes,
    255 ignored); snippets without one are unlabelled videos (e.g. the train
    snippets of a partial copy): in training they add items only with
    ``key_frames='all'`` and ``allow_unlabelled_videos=True``, in test mode
    they are clips without ground truth.

    Items are those of :class:`BaseVideoSegDataset`: in training one per
    labelled frame (the annotated frame) with references at ``ref_offsets``
    (e.g. ETC's ``dict(choices=[3, 2, 1, -1, -2], num=1)``), in test mode one
    per snippet of 30 frames (``clip_len=None``).

    Args:
        split: the split folder (``'train'``, ``'val'``, ``'test'``, ...)
            that sets the default ``data_prefix``.
        ann_file: a snippet list, one name per line (blank lines and lines
            starting with ``#`` skipped): a snippet name
            ``<city>_<seq>_<frame>`` selects that snippet, a sequence name
            ``<city>_<seq>`` all snippets of the sequence, in the order of
            the list. A key of :data:`SNIPPET_LISTS` (``'val_sam'``) names a
            list shipped with mmvseg; another relative path is relative to
            ``data_root``. Empty (default): every snippet of the split,
            sorted by name (all 500 for val).
        data_prefix: the folders holding the city folders; default
            ``dict(img_path='leftImg8bit_sequence/<split>',
            seg_map_path='gtFine/<split>')``.
        seg_map_suffix: label file suffix.
        **kwargs: the arguments of :class:`BaseVideoSegDataset`
            (``ref_offsets``, ``clip_len``, ``key_frames``,
            ``allow_unlabelled_videos``, ``pipeline``, ``test_mode``, ...).

    Raises:
        FileNotFoundError: the split folder of the frames is missing; a
            snippet or sequence of ``ann_file`` is not in it (the messages
            name the folder and the list).
        ValueError: a frame file name not of the form above; a frame present
            as both ``.png`` and ``.jpg``; a run of consecutive frames whose
            length is not 30 (a frame missing or extra; names the first
            file); a name listed twice in ``ann_file``; and the errors of
            :class:`BaseVideoSegDataset`. A label whose size differs from its
            frame is reported when loaded (:class:`LoadVideoAnnotations`).
    """
    METAINFO = CityscapesDataset.METAINFO
    #: Frames per snippet.
    SNIPPET_LENGTH = 30
    #: Position of the annotated frame in its snippet.
    ANNOTATED_INDEX = 19
    #: Accepted frame file suffixes.
    FRAME_SUFFIXES = ('_leftImg8bit.png', '_leftImg8bit.jpg')

    def __init__(self,
                 split: str = 'train',
                 ann_file: str = '',
                 data_prefix: Optional[Dict[str, str]] = None,
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(
                img_path=osp.join('leftImg8bit_sequence', split),
                seg_map_path=osp.join('gtFine', split))
        super().__init__(
            ann_file=SNIPPET_LISTS.get(ann_file, ann_file),
            data_prefix=data_prefix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def load_videos(self) -> List[dict]:
        """The snippets of the split, or those named by ``ann_file``.

        Returns:
            list[dict]: ``dict(video_id=<city>_<seq>_<annotated frame>,
            frames=[dict(img_path, seg_map_path or None, frame_id)] * 30)``
            per snippet.
        """
        img_dir = self.data_prefix.get('img_path', '')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'{img_dir}: split folder of the Cityscapes sequence frames '
                'not found')
        snippets = {}
        for city in sorted(os.listdir(img_dir)):
            if osp.isdir(osp.join(img_dir, city)):
                for snippet in self._city_snippets(city):
                    snippets[snippet['video_id']] = snippet
        if not self.ann_file:
            return list(snippets.values())
        return self._select(snippets)

    def _city_snippets(self, city: str) -> List[dict]:
        """The snippets of one city folder, sorted by name."""
        frame_dir = osp.join(self.data_prefix.get('img_path', ''), city)
        label_dir = osp.join(self.data_prefix.get('seg_map_path', ''), city)
        labels = set(os.listdir(label_dir)) if osp.isdir(label_dir) else set()
        sequences = defaultdict(dict)  # sequence -> {frame number: file}
        for file in sorted(os.listdir(frame_dir)):
            suffix = next(
                (s for s in self.FRAME_SUFFIXES if file.endswith(s)), None)
            if suffix is None:
                continue
            match = _STEM_RE.match(file[:-len(suffix)])
            if match is None:
                raise ValueError(
                    f'{osp.join(frame_dir, file)}: not a Cityscapes frame '
                    'name (<city>_<seq:6 digits>_<frame:6 digits>'
                    f'{suffix})')
            frames = sequences[match.group('sequence')]
            number = int(match.group('frame'))
            if number in frames:
                raise ValueError(
                    f'{osp.join(frame_dir, file)}: the same frame is also '
                    f'{osp.join(frame_dir, frames[number])}')
            frames[number] = file
        snippets = []
        for sequence, frames in sorted(sequences.items()):
            for run in _consecutive_runs(sorted(frames)):
                first = osp.join(frame_dir, frames[run[0]])
                if len(run) != self.SNIPPET_LENGTH:
                    raise ValueError(
                        f'{first}: frames {run[0]:06d}..{run[-1]:06d} of '
                        f'sequence {sequence} are {len(run)} consecutive '
                        f'frames, expected a snippet of '
                        f'{self.SNIPPET_LENGTH} (a frame missing or extra)')
                snippets.append(
                    dict(
                        video_id=(f'{sequence}_'
                                  f'{run[self.ANNOTATED_INDEX]:06d}'),
                        frames=[
                            self._frame(frame_dir, label_dir, labels,
                                        frames[n], f'{sequence}_{n:06d}', n)
                            for n in run
                        ]))
        return snippets

    def _frame(self, frame_dir: str, label_dir: str, labels: set, file: str,
               stem: str, number: int) -> dict:
        """The frame dict of ``file`` (``<city>_<seq>_<frame>`` is its
        ``stem``) with its label when the file is in ``labels``."""
        label = stem + self.seg_map_suffix
        return dict(
            img_path=osp.join(frame_dir, file),
            seg_map_path=(osp.join(label_dir, label)
                          if label in labels else None),
            frame_id=number)

    def _select(self, snippets: Dict[str, dict]) -> List[dict]:
        """The snippets named in ``ann_file``, in its order."""
        by_sequence = defaultdict(list)
        for name in snippets:
            by_sequence[name.rsplit('_', 1)[0]].append(name)
        selected = []
        seen = set()
        lines = mmengine.list_from_file(
            self.ann_file, backend_args=self.backend_args)
        for line_no, line in enumerate(lines, 1):
            name = line.strip()
            if not name or name.startswith('#'):
                continue
            names = [name] if name in snippets else by_sequence.get(name)
            if not names:
                raise FileNotFoundError(
                    f'{self.ann_file}: line {line_no} names snippet or '
                    f'sequence "{name}", not found in '
                    f'{self.data_prefix.get("img_path")}')
            repeated = seen.intersection(names)
            if repeated:
                raise ValueError(f'{self.ann_file}: line {line_no} selects '
                                 f'{sorted(repeated)} again')
            seen.update(names)
            selected.extend(names)
        return [snippets[name] for name in selected]


def _consecutive_runs(numbers: List[int]) -> List[List[int]]:
    """Split sorted ints into runs of consecutive values.

    Example: ``[0, 1, 2, 5, 6]`` -> ``[[0, 1, 2], [5, 6]]``.
    """
    runs = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs
