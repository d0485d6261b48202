# Copyright (c) mmvseg contributors. All rights reserved.
"""Train a segmentor: ``python tools/train.py CONFIG [--work-dir DIR]
[--resume] [--amp] [--cfg-options k=v ...] [--launcher none|pytorch|slurm]``.

Same arguments as mmseg's ``tools/train.py``, which it runs with mmvseg
imported. ``--amp`` needs a GPU.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _mmseg_tool import run_mmseg_tool  # noqa: E402

if __name__ == '__main__':
    run_mmseg_tool('train.py')
