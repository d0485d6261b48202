# Copyright (c) mmvseg contributors. All rights reserved.
"""Test a segmentor: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
[--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]``.

Same arguments as mmseg's ``tools/test.py``, which it runs with mmvseg
imported. ``CHECKPOINT`` may be a video segmentor's checkpoint or an image
model's (its keys are loaded under ``image_model.``). With video configs,
``--show-dir DIR`` writes per clip ``DIR/<clip>/<frame>.png`` overlays and
``DIR/<clip>.mp4`` (``VideoSegVisualizationHook``).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from _mmseg_tool import run_mmseg_tool  # noqa: E402

if __name__ == '__main__':
    run_mmseg_tool('test.py')
