# Copyright (c) mmvseg contributors. All rights reserved.
from .decoupled_psp_head import DecoupledPSPHead
from .espnet_head import ESPNetHead
from .espnetv2_head import EfficientPWConv, EfficientPyrPool, ESPNetV2Head
from .similarity_heads import (ConstantSimilarityHead, ConvSimilarityHead,
                               CosineSimilarityHead)

__all__ = [
    'ConstantSimilarityHead', 'ConvSimilarityHead', 'CosineSimilarityHead',
    'DecoupledPSPHead', 'EfficientPWConv', 'EfficientPyrPool', 'ESPNetHead',
    'ESPNetV2Head'
]
