# Copyright (c) mmvseg contributors. All rights reserved.
from .video_visualization_hook import VideoSegVisualizationHook

__all__ = ['VideoSegVisualizationHook']
