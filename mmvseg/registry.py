# Copyright (c) mmvseg contributors. All rights reserved.
"""mmvseg registers into mmseg's own registries.

This is how the ``projects/`` of open-mmlab/mmsegmentation extend mmseg (e.g.
``projects/isnet/decode_heads/isnet_head.py`` registers with
``mmseg.registry.MODELS``, and its config imports it with ``custom_imports``):
configs keep ``default_scope='mmseg'``, inherit ``mmseg::_base_/...`` files,
and mmseg's own tools work unchanged. Child registries with an ``mmvseg`` scope
would need an ``mmvseg.`` prefix on every type inside a dict inherited from
``mmseg::`` bases, because mmengine's ``Config`` writes ``_scope_='mmseg'``
into them and a parent registry does not search its children
(``mmengine/registry/registry.py``, ``Registry.get``).

Every module imports its registry from here, so that switching to child
registries later is a one-file change. Class names are video-specific, so a
clash with an mmseg name fails loudly at import (mmengine raises ``KeyError``).
"""
from mmseg.registry import (DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS,
                            VISUALIZERS)

__all__ = [
    'DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'TRANSFORMS', 'VISUALIZERS'
]
