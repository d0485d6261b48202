# Copyright (c) mmvseg contributors. All rights reserved.
from .espnet_head import ESPNetHead
from .espnetv2_head import EfficientPWConv, EfficientPyrPool, ESPNetV2Head
from .similarity_heads import (ConstantSimilarityHead, ConvSimilarityHead,
                               CosineSimilarityHead)

__all__ = [
    'ConstantSimilarityHead', 'ConvSimilarityHead', 'CosineSimilarityHead',
    'EfficientPWConv', 'EfficientPyrPool', 'ESPNetHead', 'ESPNetV2Head'
]
