# Copyright (c) mmvseg contributors. All rights reserved.
"""Save the initialised weights of a config's model as a checkpoint.

``tools/test.py`` needs a checkpoint, and ``Runner.test()`` never calls
``init_weights`` (in mmengine 0.10.7 ``mmengine/runner/runner.py`` only
``Runner.train()`` calls ``_init_model_weights``). For models whose weights
come from their config alone (weight-free backbones such as
``RawPixelBackbone``, or ``init_cfg`` pointing at a pre-trained file) this
tool builds the model, calls ``init_weights()`` and writes
``{'state_dict': ..., 'meta': ...}``::

    python tools/misc/save_init_checkpoint.py \\
        configs/labelprop/labelprop_lab_davis2017-480p.py \\
        work_dirs/labelprop_lab_init.pth
    python tools/test.py configs/labelprop/labelprop_lab_davis2017-480p.py \\
        work_dirs/labelprop_lab_init.pth
"""
import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmengine.utils import mkdir_or_exist

import mmvseg
from mmvseg.registry import MODELS


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build a model, init its weights and save them')
    parser.add_argument('config', help='config file')
    parser.add_argument('out', help='checkpoint file to write (.pth)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='random seed of the initialisation (default 0)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    """Write the checkpoint and return it.

    Args:
        argv: command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        dict: ``state_dict`` (a dict of CPU tensors, empty for
        weight-free models) and ``meta`` (config path, mmvseg version).
    """
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    set_random_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = dict(
        state_dict={k: v.cpu()
                    for k, v in model.state_dict().items()},
        meta=dict(
            config=osp.abspath(args.config),
            seed=args.seed,
            mmvseg_version=mmvseg.__version__))
    if osp.dirname(args.out):
        mkdir_or_exist(osp.dirname(args.out))
    torch.save(checkpoint, args.out)
    print(f'saved {len(checkpoint["state_dict"])} tensors of '
          f'{type(model).__name__} to {args.out}')
    return checkpoint


if __name__ == '__main__':
    main()
