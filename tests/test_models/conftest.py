# Copyright (c) mmvseg contributors. All rights reserved.
"""Fixtures of the real-weight checks of this folder: the Cityscapes
snippets and author checkpoints of the read-only ``../shared`` folder; a
test that asks for one is skipped when it is absent."""
import os.path as osp

import pytest
from script_loader import REPO_ROOT

SHARED_DIR = osp.join(osp.dirname(REPO_ROOT), 'shared')


def _shared(*parts: str) -> str:
    path = osp.join(SHARED_DIR, *parts)
    if not osp.exists(path):
        pytest.skip(f'{path} is absent: this test needs the read-only shared '
                    'folder (real Cityscapes frames / author weights) beside '
                    'the repository')
    return path


@pytest.fixture
def cityscapes_seq_root() -> str:
    """``../shared/data/cityscapes_seq`` (6 aachen snippets, 4 labelled)."""
    return _shared('data', 'cityscapes_seq')


@pytest.fixture
def espnet_cityscapes_weights() -> str:
    """The authors' ESPNet p=2 q=8 Cityscapes checkpoint."""
    return _shared('weights', 'espnet', 'espnet_p_2_q_8_cityscapes.pth')


@pytest.fixture
def espnetv2_weights_dir() -> str:
    """The folder of the authors' ESPNetv2 Cityscapes checkpoints."""
    return _shared('weights', 'espnetv2')
