# Copyright (c) mmvseg contributors. All rights reserved.
from .video_data_preprocessor import VideoSegDataPreProcessor

__all__ = ['VideoSegDataPreProcessor']
