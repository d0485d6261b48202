# Copyright (c) mmvseg contributors. All rights reserved.
"""Shared steps of the scripts in ``tools/model_converters``: read a
research checkpoint, check a key rename, write an mmengine checkpoint.

Each converter keeps its own key mapping (the part that differs per source
repository); these helpers hold what they all do the same way.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, Mapping, Optional, Sequence

import mmengine
import torch
from torch import Tensor


def read_source_checkpoint(path: str,
                           keys: Sequence[str] = ('state_dict', 'model'),
                           trusted: bool = False) -> Dict[str, Tensor]:
    """Load a checkpoint file and return its tensors.

    Args:
        path: local checkpoint file (never downloaded).
        keys: wrapper keys tried in order (``ckpt[key]`` is the state dict
            when present, e.g. ``'model'`` for MAE/CRW, ``'teacher'`` for
            DINO); a file that is a plain state dict is returned as is.
        trusted: unpickle arbitrary objects (``weights_only=False``). Needed
            for checkpoints that store e.g. an ``argparse.Namespace`` beside
            the weights (ajabri/videowalk ``pretrained.pth``); only use it
            for files from a source you trust.

    Returns:
        dict[str, Tensor]: the state dict (only tensor values are kept).

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: the file holds no dict, or none of ``keys`` nor tensors
            at the top level (the message names the file and its keys).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        checkpoint = torch.load(
            path, map_location='cpu', weights_only=not trusted)
    except Exception as err:  # noqa: B902 - torch raises several types
        if trusted:
            raise ValueError(f'cannot read checkpoint {path}: {err}') from err
        raise ValueError(
            f'cannot read checkpoint {path} with weights_only=True ({err}); '
            'if you trust the file, pass --trusted') from err
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{path} holds a {type(checkpoint).__name__}, '
                         'not a dict of tensors')
    for key in keys:
        if isinstance(checkpoint.get(key), Mapping):
            checkpoint = checkpoint[key]
            break
    tensors = {k: v for k, v in checkpoint.items() if isinstance(v, Tensor)}
    if not tensors:
        raise ValueError(f'{path} has no tensors under any of {list(keys)} '
                         f'nor at the top level; its keys: '
                         f'{sorted(map(str, checkpoint))[:10]}')
    return tensors


def rename_strict(state_dict: Mapping[str, Tensor],
                  key_map: Mapping[str, str],
                  ignored: Iterable[str] = (),
                  source: str = 'checkpoint') -> 'OrderedDict[str, Tensor]':
    """Rename ``state_dict`` by ``key_map``; every key must be accounted for.

    Args:
        state_dict: source tensors.
        key_map: source key -> target key; every source key listed must be
            present.
        ignored: source keys dropped on purpose (e.g. heads, decoders).
        source: name of the source in error messages.

    Returns:
        OrderedDict[str, Tensor]: target key -> the same tensor, in the order
        of ``key_map``.

    Raises:
        ValueError: a key of ``key_map`` is missing from ``state_dict``, or
            ``state_dict`` has a key neither in ``key_map`` nor ``ignored``
            (up to 5 of each are named).
    """
    ignored = set(ignored)
    missing = [key for key in key_map if key not in state_dict]
    unexpected = [
        key for key in state_dict if key not in key_map and key not in ignored
    ]
    if missing or unexpected:
        raise ValueError(
            f'{source}: {len(missing)} missing keys {missing[:5]}, '
            f'{len(unexpected)} unexpected keys {unexpected[:5]}')
    return OrderedDict((dst, state_dict[src]) for src, dst in key_map.items())


def save_converted_checkpoint(state_dict: Mapping[str, Tensor],
                              dst: str,
                              meta: Optional[dict] = None) -> None:
    """Write ``{'state_dict': ..., 'meta': ...}`` as mmengine loads it
    (``load_from`` / ``tools/test.py CONFIG CHECKPOINT``); creates the
    folder of ``dst``."""
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(dst)))
    torch.save(dict(state_dict=OrderedDict(state_dict), meta=meta or {}), dst)
