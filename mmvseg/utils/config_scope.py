# Copyright (c) mmvseg contributors. All rights reserved.
"""The ``mmvseg::`` scope of config names.

mmengine resolves ``package::path`` config names (``Config`` ``_base_``
entries, ``Config.fromfile`` of a ``_base_`` such as
``mmvseg::_base_/models/video_ssp.py``, ``mmengine.hub.get_config``) only for
the packages listed in ``mmengine.config.utils.MODULE2PACKAGE`` (the module ->
pip package map). ``import mmvseg`` calls :func:`register_config_scope`, which
adds ``'mmvseg': 'mmvseg'`` there (an added entry, none replaced).
"""
from mmengine.config.utils import MODULE2PACKAGE

#: The scope of mmvseg's config names.
SCOPE = 'mmvseg'


def register_config_scope() -> None:
    """Let mmengine resolve ``mmvseg::`` config names.

    Adds ``'mmvseg': 'mmvseg'`` to ``mmengine.config.utils.MODULE2PACKAGE``
    unless present. Idempotent.
    """
    MODULE2PACKAGE.setdefault(SCOPE, SCOPE)
