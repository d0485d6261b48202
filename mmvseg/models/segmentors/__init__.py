# Copyright (c) mmvseg contributors. All rights reserved.
from .base_video import BaseVideoSegmentor
from .ssp import SSP
from .video_encoder_decoder import VideoEncoderDecoder

__all__ = ['BaseVideoSegmentor', 'SSP', 'VideoEncoderDecoder']
