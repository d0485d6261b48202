# Copyright (c) mmvseg contributors. All rights reserved.
from .temporal_consistency_loss import (TemporalConsistencyLoss,
                                        imagenet_normalize)

__all__ = ['TemporalConsistencyLoss', 'imagenet_normalize']
