# Copyright (c) mmvseg contributors. All rights reserved.
"""Shared fixtures: the read-only ``../shared`` folder, the default scope and
one torch thread."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import mmvseg  # noqa: F401  (applies the compat fixes and registers modules)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DIR = osp.join(osp.dirname(REPO_ROOT), 'shared')

init_default_scope('mmseg')


@pytest.fixture(scope='session', autouse=True)
def one_torch_thread():
    """One intra-op thread per test process: the tests run many tiny ops,
    and ``pytest -n 2`` already keeps both CPU cores busy (with more threads
    the small matrix products wait on busy cores, up to 100x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def shared_path(*parts: str) -> str:
    """Path inside ``../shared``; skips the test when it is absent."""
    path = osp.join(SHARED_DIR, *parts)
    if not osp.exists(path):
        pytest.skip(f'{path} is absent: this test needs the read-only shared '
                    'folder (real CamVid frames / weights) beside the repository')
    return path


@pytest.fixture
def camvid_root() -> str:
    return shared_path('data', 'camvid')


@pytest.fixture
def espnet_weights() -> str:
    return shared_path('weights', 'espnet', 'espnet_p_2_q_8_camvid.pth')


class _ListHandler(logging.Handler):
    """Collects the messages of warnings (and worse)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_log():
    """Messages of the warnings logged by mmengine's current logger."""
    logger = MMLogger.get_current_instance()
    handler = _ListHandler()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)
