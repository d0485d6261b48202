# Copyright (c) mmvseg contributors. All rights reserved.
"""UAVid v1.5 with the VDD water/roof re-annotation, read as clips.

Classes and colours: FraunhoferIVI/SSP ``data/datasets.py`` (``UAVID``:
ids 1..8 of the stored labels, i.e. train ids 0..7 after
``convert_labels``). The layout is written by
``tools/dataset_converters/uavid_vdd.py``.
"""
from mmvseg.registry import DATASETS
from .aerial_video import AerialClipDataset


@DATASETS.register_module()
class UAVidVDDDataset(AerialClipDataset):
    """UAVid + VDD (8 classes) as 100-frame clips labelled on their last
    frame.

    Layout (``data_root``, e.g. ``data/UAVid``)::

        data/<clip>/origin/<frame:06d>.png      2560x1440 frames
        data/<clip>/mask/<frame:06d>.png        train ids 0..7, 255 ignored
        data_1280x736/<clip>/{origin,mask}/     the 736x1280 copy
        train.txt val.txt                       clip names (ann_file)

    ``data_prefix`` selects the copy (``dict(img_path='data_1280x736',
    seg_map_path='data_1280x736')`` in ``configs/_base_/datasets/
    uavid_vdd.py``); ``frame_id`` is the frame's index in ``images.mp4``.
    Background clutter (stored 0 by the repository) is the ignore index 255.

    Args:
        **kwargs: the arguments of :class:`AerialClipDataset`.
    """
    METAINFO = dict(
        classes=('road', 'vegetation', 'tree', 'person', 'vehicle', 'water',
                 'building', 'roof'),
        palette=[[128, 0, 128], [112, 148, 32], [64, 64, 0], [255, 16, 255],
                 [0, 128, 128], [0, 0, 255], [255, 0, 0], [64, 160, 120]])
