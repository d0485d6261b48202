# Copyright (c) mmvseg contributors. All rights reserved.
"""Every config parses and its model and pipelines build."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from mmvseg.registry import METRICS, MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def test_configs_are_found():
    names = {osp.basename(p) for p in CONFIGS}
    assert {'espnet_p2-q8_camvid-360x480.py',
            'ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
            'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'} <= names


#: Config keys naming local weight files that modules read when built.
WEIGHT_KEYS = ('checkpoint', 'disk_weights', 'lightglue_weights')


def drop_absent_weights(node):
    """Set weight paths that do not exist here (flow, registration) to
    None: the modules then build with random weights (downloaded weights are
    never part of a checkout)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in WEIGHT_KEYS and isinstance(value,
                                                 str) and not osp.isfile(value):
                node[key] = None
            else:
                drop_absent_weights(value)
    elif isinstance(node, list):
        for item in node:
            drop_absent_weights(item)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['mmvseg']
    drop_absent_weights(cfg._cfg_dict)
    model = MODELS.build(cfg.model)  # init_cfg (pretrained) is not applied
    assert model.data_preprocessor.__class__.__name__ == \
        'VideoSegDataPreProcessor'
    loaders = [key for key in ('train_dataloader', 'val_dataloader',
                               'test_dataloader') if cfg.get(key)]
    assert 'test_dataloader' in loaders  # test-only configs have no others
    for loader in loaders:
        Compose(cfg[loader].dataset.pipeline)
    for metric in cfg.test_evaluator:
        METRICS.build(metric)
