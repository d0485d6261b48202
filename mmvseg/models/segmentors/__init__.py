# Copyright (c) mmvseg contributors. All rights reserved.
from .base_video import BaseVideoSegmentor
from .dff import DFF
from .etc import ETC
from .kd_ssp import KDSSP
from .label_propagator import (LabelPropagator, first_frame_one_hot,
                               label_to_feature_grid)
from .netwarp import NetWarp
from .ssp import SSP
from .tcb import TCB
from .video_encoder_decoder import VideoEncoderDecoder

__all__ = [
    'BaseVideoSegmentor', 'DFF', 'ETC', 'KDSSP', 'LabelPropagator', 'NetWarp',
    'SSP', 'TCB', 'VideoEncoderDecoder', 'first_frame_one_hot',
    'label_to_feature_grid'
]
