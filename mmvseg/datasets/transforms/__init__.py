# Copyright (c) mmvseg contributors. All rights reserved.
from .formatting import PackVideoSegInputs
from .frame_sampling import VideoFrameSample
from .loading import LoadFrameFromFile, LoadVideoAnnotations
from .photometric import RandomGaussianBlur, VideoPhotoMetricDistortion
from .teacher_logits import LoadTeacherLogits

__all__ = [
    'LoadFrameFromFile', 'LoadTeacherLogits', 'LoadVideoAnnotations',
    'PackVideoSegInputs', 'RandomGaussianBlur', 'VideoFrameSample',
    'VideoPhotoMetricDistortion'
]
