# Copyright (c) mmvseg contributors. All rights reserved.
"""Config names of the installed package: ``mmvseg::ssp/<config>.py``.

mmvseg ships ``configs/``, ``tools/`` and ``model-index.yml`` inside the
package as ``mmvseg/.mim`` (``setup.py``, the ``add_mim_extension`` of
open-mmlab/mmsegmentation ``setup.py``), so an installed mmvseg finds its
configs without the repository. A clone (or an editable install) uses the
repository's ``configs/`` beside the package, the rule of mmengine's
``BaseInferencer._get_repo_or_mim_dir``.

``mmvseg::`` names resolve once ``mmvseg`` is imported
(:func:`mmvseg.utils.register_config_scope`).
"""
import copy
import os
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config, ConfigDict
from mmengine.infer import BaseInferencer

from mmvseg.utils.config_scope import SCOPE

ConfigLike = Union[str, os.PathLike, Config, ConfigDict, dict]


def config_root() -> str:
    """The folder that holds mmvseg's ``configs/``: the repository root of a
    clone or an editable install, else the installed ``mmvseg/.mim``.

    Raises:
        FileNotFoundError: neither has a ``configs`` folder.
    """
    return BaseInferencer._get_repo_or_mim_dir(SCOPE)


def load_config(config: ConfigLike,
                cfg_options: Optional[dict] = None) -> Config:
    """Read a config given as a path, an ``mmvseg::`` (or ``mmseg::``) name,
    or a ``Config``/dict (copied).

    ``mmvseg::ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py`` is
    ``configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py`` of
    :func:`config_root`; names of other OpenMMLab packages go to
    ``mmengine.hub.get_config``.

    Args:
        config: the config.
        cfg_options: ``key.sub=value`` overrides merged into it.

    Returns:
        Config: the parsed config (``custom_imports`` imported).

    Raises:
        FileNotFoundError: a path or an ``mmvseg::`` name without a file
            (named, with the folder searched).
        TypeError: another type.
    """
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    elif isinstance(config, dict):
        cfg = Config(copy.deepcopy(dict(config)))
    elif isinstance(config, (str, os.PathLike)):
        name = os.fspath(config)
        if '::' in name:
            scope, _, relative = name.partition('::')
            if scope == SCOPE:
                root = config_root()
                path = osp.join(root, 'configs', relative)
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{name}: no config {relative} in '
                        f'{osp.join(root, "configs")}')
                cfg = Config.fromfile(path)
            else:
                from mmengine.hub import get_config
                cfg = get_config(name)
        elif not osp.isfile(name):
            raise FileNotFoundError(f'{name}: config file not found')
        else:
            cfg = Config.fromfile(name)
    else:
        raise TypeError('config must be a path, an mmvseg:: name, a Config '
                        f'or a dict, got {type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
