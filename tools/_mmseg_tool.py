# Copyright (c) mmvseg contributors. All rights reserved.
"""Run one of mmseg's own command-line tools with mmvseg imported.

mmseg ships its ``tools/`` as package data (``mmseg/.mim/tools``). mmvseg's
entry points keep exactly their arguments and behaviour and only add
``import mmvseg`` first, which applies the compatibility fixes
(``mmvseg/utils/compat.py``) and registers the video modules.
"""
import os.path as osp
import runpy
import sys

import mmseg

import mmvseg  # noqa: F401


def run_mmseg_tool(name: str) -> None:
    """Execute ``mmseg/.mim/tools/<name>`` as ``__main__`` with sys.argv."""
    path = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        sys.exit(f'{path} not found: mmsegmentation 1.x must be installed '
                 'from its wheel (it carries the tools as package data)')
    sys.argv[0] = path
    runpy.run_path(path, run_name='__main__')
