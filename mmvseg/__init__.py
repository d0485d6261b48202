# Copyright (c) mmvseg contributors. All rights reserved.
"""mmvseg: video semantic segmentation for MMSegmentation 1.x.

Importing the package checks the mmcv and mmseg versions, applies the
compatibility fixes of :mod:`mmvseg.utils.compat` (local mmengine checkpoints
load under torch >= 2.6; ``--launcher pytorch`` works on CPU-only hosts), and
registers mmvseg's modules into mmseg's registries without replacing any of
their entries, and lets mmengine resolve ``mmvseg::`` config names
(:func:`mmvseg.utils.register_config_scope`). It changes nothing else in
mmengine, mmcv, mmseg or torch (``tests/test_utils/test_compat.py`` checks
this).
"""
import mmcv
import mmengine
import mmseg
from mmengine.utils import digit_version

from .utils import compat, register_config_scope
from .version import __version__, version_info

MMCV_MIN, MMCV_MAX = '2.0.0rc4', '2.2.0'
MMSEG_MIN, MMSEG_MAX = '1.0.0', '2.0.0'

assert digit_version(MMCV_MIN) <= digit_version(mmcv.__version__) < \
    digit_version(MMCV_MAX), (
        f'mmcv=={mmcv.__version__} is used but incompatible. Please install '
        f'mmcv>={MMCV_MIN}, <{MMCV_MAX}.')
assert digit_version(MMSEG_MIN) <= digit_version(mmseg.__version__) < \
    digit_version(MMSEG_MAX), (
        f'mmseg=={mmseg.__version__} is used but incompatible. Please '
        f'install mmsegmentation>={MMSEG_MIN}, <{MMSEG_MAX}.')

compat.apply_all()
register_config_scope()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401,I001
               structures)

__all__ = ['__version__', 'version_info', 'mmengine']
