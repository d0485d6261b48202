# Copyright (c) mmvseg contributors. All rights reserved.
from .base_video_dataset import BaseVideoSegDataset
from .camvid_video import CamVidVideoDataset, parse_camvid_name
from .transforms import (LoadFrameFromFile, LoadVideoAnnotations,
                         PackVideoSegInputs, VideoFrameSample,
                         VideoPhotoMetricDistortion)

__all__ = [
    'BaseVideoSegDataset', 'CamVidVideoDataset', 'LoadFrameFromFile',
    'LoadVideoAnnotations', 'PackVideoSegInputs', 'VideoFrameSample',
    'VideoPhotoMetricDistortion', 'parse_camvid_name'
]
