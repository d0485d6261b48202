# Copyright (c) mmvseg contributors. All rights reserved.
from .video_seg_data_sample import VideoSampleList, VideoSegDataSample

__all__ = ['VideoSegDataSample', 'VideoSampleList']
