# Copyright (c) mmvseg contributors. All rights reserved.
from .multi_branch_preprocessor import MultiBranchVideoDataPreProcessor
from .video_data_preprocessor import VideoSegDataPreProcessor

__all__ = ['MultiBranchVideoDataPreProcessor', 'VideoSegDataPreProcessor']
