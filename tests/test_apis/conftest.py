# Copyright (c) mmvseg contributors. All rights reserved.
"""Fixtures of the ``mmvseg.apis`` tests: the generated demo clips (a
street scene that pans, ``mmvseg.utils.demo_data``) and a seeded checkpoint
of the demo SSP config; ``video_files`` (this folder) made importable."""
import os.path as osp
import sys

import pytest
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

#: The demo SSP config (ESPNet image model, 96x128, SIFT registration).
DEMO_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'ssp', 'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py')


@pytest.fixture(scope='session')
def demo_data(tmp_path_factory) -> str:
    """``generate_demo_camvid`` output; ``val/`` is one 16-frame pan."""
    from mmvseg.utils.demo_data import generate_demo_camvid
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_camvid(root)
    return root


@pytest.fixture(scope='session')
def demo_checkpoint(tmp_path_factory) -> str:
    """The demo SSP with seeded random weights (image model and
    similarity head), BatchNorm statistics moved off their defaults so that
    the logits are not flat."""
    from mmvseg.apis import init_model
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='no checkpoint'):
        model = init_model(DEMO_CONFIG)
    model.init_weights()
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2, generator=gen)
            module.running_var.uniform_(0.5, 1.5, generator=gen)
    path = str(tmp_path_factory.mktemp('ckpt') / 'demo_ssp.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path
