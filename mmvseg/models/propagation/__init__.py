# Copyright (c) mmvseg contributors. All rights reserved.
from .affinity import topk_affinity
from .propagate import labels_to_ids, propagate_labels

__all__ = ['topk_affinity', 'propagate_labels', 'labels_to_ids']
