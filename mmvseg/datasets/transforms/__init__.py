# Copyright (c) mmvseg contributors. All rights reserved.
from .formatting import PackVideoSegInputs
from .frame_sampling import VideoFrameSample
from .loading import LoadFrameFromFile, LoadVideoAnnotations
from .photometric import VideoPhotoMetricDistortion

__all__ = [
    'LoadFrameFromFile', 'LoadVideoAnnotations', 'PackVideoSegInputs',
    'VideoFrameSample', 'VideoPhotoMetricDistortion'
]
