# Copyright (c) mmvseg contributors. All rights reserved.
from .temporal_consistency_loss import TemporalConsistencyLoss

__all__ = ['TemporalConsistencyLoss']
