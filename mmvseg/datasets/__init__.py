# Copyright (c) mmvseg contributors. All rights reserved.
from .aerial_video import AerialClipDataset
from .base_video_dataset import BaseVideoSegDataset
from .camvid_video import CamVidVideoDataset, parse_camvid_name
from .cityscapes_seq import CityscapesSeqDataset
from .dataset_wrappers import TwoDomainDataset
from .davis import DAVISDataset, davis_object_classes
from .reference_offsets import RandomRefOffsets
from .ruralscapes import RuralScapesDataset
from .transforms import (LoadFrameFromFile, LoadVideoAnnotations,
                         PackVideoSegInputs, VideoFrameSample,
                         VideoPhotoMetricDistortion)
from .uavid_vdd import UAVidVDDDataset

__all__ = [
    'AerialClipDataset', 'BaseVideoSegDataset', 'CamVidVideoDataset',
    'CityscapesSeqDataset', 'DAVISDataset', 'LoadFrameFromFile',
    'LoadVideoAnnotations', 'PackVideoSegInputs', 'RandomRefOffsets',
    'RuralScapesDataset', 'TwoDomainDataset', 'UAVidVDDDataset',
    'VideoFrameSample', 'VideoPhotoMetricDistortion', 'davis_object_classes',
    'parse_camvid_name'
]
