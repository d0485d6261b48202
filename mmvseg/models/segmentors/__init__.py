# Copyright (c) mmvseg contributors. All rights reserved.
from .base_video import BaseVideoSegmentor
from .label_propagator import (LabelPropagator, first_frame_one_hot,
                               label_to_feature_grid)
from .ssp import SSP
from .video_encoder_decoder import VideoEncoderDecoder

__all__ = [
    'BaseVideoSegmentor', 'LabelPropagator', 'SSP', 'VideoEncoderDecoder',
    'first_frame_one_hot', 'label_to_feature_grid'
]
