# Copyright (c) mmvseg contributors. All rights reserved.
from .espnet_head import ESPNetHead
from .similarity_heads import (ConstantSimilarityHead, ConvSimilarityHead,
                               CosineSimilarityHead)

__all__ = [
    'ConstantSimilarityHead', 'ConvSimilarityHead', 'CosineSimilarityHead',
    'ESPNetHead'
]
