# Copyright (c) mmvseg contributors. All rights reserved.
"""RuralScapes (12 classes), read as clips.

Classes and colours: FraunhoferIVI/SSP ``data/datasets.py``
(``RURALSCAPES``: ids 1..12 of the stored labels, i.e. train ids 0..11
after ``convert_labels``; the colours are those of the dataset's label
images). The layout is written by
``tools/dataset_converters/ruralscapes.py``.
"""
from mmvseg.registry import DATASETS
from .aerial_video import AerialClipDataset


@DATASETS.register_module()
class RuralScapesDataset(AerialClipDataset):
    """RuralScapes as clips of up to 50 frames (every 5th video frame) with
    several labelled frames each.

    Layout (``data_root``, e.g. ``data/ruralscapes``)::

        data/<clip>/origin/segfull_<video>_<frame:06d>.png   2560x1440
        data/<clip>/mask/segfull_<video>_<frame:06d>.png     ids 0..11, 255
        data_1280x736/<clip>/{origin,mask}/                  736x1280 copy
        train.txt val.txt                                    clip names

    ``frame_id`` is the frame's index in the source video (multiples of 5,
    so consecutive frames of a clip are 5 video frames apart). A labelled
    frame can be a clip's first frame: its reference at offset -1 is then
    clamped to itself (:class:`BaseVideoSegDataset`), whereas the
    repository's video dataset (``data/video/video_dataset.py``, reference
    ``adjacent_frames: [-1]`` in ``config/video/ssp_rural.yaml``) indexes
    position -1 of the clip, which Python wraps to its last frame. Unlabeled
    pixels (stored 0 by the repository) are the ignore index 255.

    Args:
        **kwargs: the arguments of :class:`AerialClipDataset`.
    """
    METAINFO = dict(
        classes=('residential', 'land', 'forest', 'sky', 'fence', 'road',
                 'hill', 'church', 'car', 'person', 'haystack', 'water'),
        palette=[[255, 255, 0], [0, 255, 0], [0, 127, 0], [0, 255, 255],
                 [127, 127, 0], [255, 255, 255], [127, 127, 63],
                 [255, 0, 255], [127, 127, 127], [255, 0, 0], [255, 127, 0],
                 [0, 0, 255]])
