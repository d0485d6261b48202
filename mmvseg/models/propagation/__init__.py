# Copyright (c) mmvseg contributors. All rights reserved.
from .affinity import topk_affinity
from .propagate import LabelPropagation, labels_to_ids, propagate_labels

__all__ = [
    'topk_affinity', 'LabelPropagation', 'propagate_labels', 'labels_to_ids'
]
