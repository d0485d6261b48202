# Copyright (c) mmvseg contributors. All rights reserved.
from .base_video_dataset import BaseVideoSegDataset
from .camvid_video import CamVidVideoDataset, parse_camvid_name
from .davis import DAVISDataset, davis_object_classes
from .transforms import (LoadFrameFromFile, LoadVideoAnnotations,
                         PackVideoSegInputs, VideoFrameSample,
                         VideoPhotoMetricDistortion)

__all__ = [
    'BaseVideoSegDataset', 'CamVidVideoDataset', 'DAVISDataset',
    'LoadFrameFromFile', 'LoadVideoAnnotations', 'PackVideoSegInputs',
    'VideoFrameSample', 'VideoPhotoMetricDistortion', 'davis_object_classes',
    'parse_camvid_name'
]
