# Copyright (c) mmvseg contributors. All rights reserved.
"""mmvseg registers into mmseg's own registries (openmmlab_anchors.md B1, option 2).

Every module imports its registry from here, so that switching to child
registries later is a one-file change. Class names are video-specific, so a
clash with an mmseg name fails loudly at import (mmengine raises ``KeyError``).
"""
from mmseg.registry import (DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS,
                            VISUALIZERS)

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'TRANSFORMS', 'VISUALIZERS']
