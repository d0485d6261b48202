# Copyright (c) mmvseg contributors. All rights reserved.
"""Segment a user's own video: the video counterpart of ``mmseg.apis``.

- :class:`VideoSegInferencer` (mmengine ``BaseInferencer``): config (path or
  ``mmvseg::`` name) + checkpoint, a video file / folder of frames / arrays
  in; label maps, an overlay mp4, label PNGs and a JSON summary out.
- :func:`init_model` and :func:`inference_video`: the functional API.
- :func:`open_video_source`: the frame readers.
"""
from .config import config_root, load_config
from .inference import (StreamStats, VideoStream, build_frame_pipeline,
                        dataset_meta, inference_video, init_model)
from .inferencer import VideoSegInferencer
from .sources import (ArraySource, FolderSource, FrameDecodeError,
                      VideoFileSource, VideoFrame, VideoSource,
                      open_video_source)
from .writers import (LabelPNGWriter, OverlayVideoWriter, compose_frame,
                      draw_legend, overlay_labels, write_summary)

__all__ = [
    'ArraySource', 'FolderSource', 'FrameDecodeError', 'LabelPNGWriter',
    'OverlayVideoWriter', 'StreamStats', 'VideoFileSource', 'VideoFrame',
    'VideoSegInferencer', 'VideoSource', 'VideoStream',
    'build_frame_pipeline', 'compose_frame', 'config_root', 'dataset_meta',
    'draw_legend', 'inference_video', 'init_model', 'load_config',
    'open_video_source', 'overlay_labels', 'write_summary'
]
