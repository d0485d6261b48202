# Copyright (c) mmvseg contributors. All rights reserved.
"""Import the repository's scripts (``tools/`` is not a package) in tests.

``tests/`` is on ``sys.path`` (``pythonpath`` in setup.cfg), so test files
use ``from script_loader import REPO_ROOT, load_script``.
"""
import importlib.util
import os.path as osp
from types import ModuleType

#: The repository root (the folder that holds ``tools/`` and ``configs/``).
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_script(*parts: str) -> ModuleType:
    """Execute ``REPO_ROOT/<parts...>`` as a new module named after the file.

    Example: ``load_script('tools', 'analysis_tools', 'eval_tc.py')``.

    Raises:
        FileNotFoundError: the script does not exist.
    """
    path = osp.join(REPO_ROOT, *parts)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: script not found')
    spec = importlib.util.spec_from_file_location(
        osp.splitext(parts[-1])[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
