# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert an original RAFT-large checkpoint to torchvision's ``raft_large``.

Source layout: princeton-vl/RAFT ``core/raft.py`` ``RAFT(args)`` with
``args.small = False`` (``core/extractor.py`` ``BasicEncoder`` for ``fnet``
(instance norm, no affine parameters) and ``cnet`` (batch norm),
``core/update.py`` ``BasicUpdateBlock``), as saved by its ``train.py``
through ``nn.DataParallel``, i.e. every key starts with ``module.``; e.g.
``raft-things.pth`` (Chairs -> Things) from the authors' ``models.zip``
(:data:`RAFT_MODELS_URL`, from their ``download_models.sh``), the RAFT
weights that FraunhoferIVI/SSP loads for its consistency loss
(``models/opt_flow.py``, ``RAFT_core/``). Keys without the prefix are
accepted as well.

Target: ``torchvision.models.optical_flow.raft_large`` (Teed & Deng, ECCV
2020), loaded strictly by :class:`mmvseg.models.flow.RAFTFlow`
(``checkpoint=...``). The conversion is a pure rename, tensors unchanged:

- ``fnet`` / ``cnet`` -> ``feature_encoder`` / ``context_encoder``;
  ``conv1``/``norm1`` of the stem and of each residual block ->
  ``convnormrelu[1].0`` / ``convnormrelu[1].1``, ``conv2``/``norm2`` of a
  block -> ``convnormrelu2.0/.1``, the output ``conv2`` -> ``conv``.
  The original blocks register their shortcut norm twice (``norm3`` and
  ``downsample.1``, one module); ``norm3`` must equal ``downsample.1`` and
  is dropped.
- ``update_block.encoder.conv{c1,c2,f1,f2,}`` -> ``update_block.
  motion_encoder.{convcorr1,convcorr2,convflow1,convflow2,conv}.0``,
  ``update_block.gru.conv{z,r,q}{1,2}`` -> ``update_block.recurrent_block.
  convgru{1,2}.conv{z,r,q}``, ``update_block.flow_head`` unchanged.
- ``update_block.mask.0`` / ``.2`` -> ``mask_predictor.convrelu.0`` /
  ``mask_predictor.conv`` (torchvision applies the original 0.25 factor in
  ``MaskPredictor.multiplier``, so the weights are not rescaled).

BatchNorm ``num_batches_tracked`` buffers are optional in the source (0 when
absent). The output is ``{'state_dict': ..., 'meta': ...}`` with the keys of
``raft_large()`` itself (no prefix), as ``RAFTFlow`` reads it.

Usage::

    python tools/model_converters/raft2torchvision.py \\
        models/raft-things.pth checkpoints/raft_large_things.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping

import torch
from torch import Tensor

from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)

#: The authors' archive with raft-things.pth (download by hand).
RAFT_MODELS_URL = ('https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/'
                   'models.zip')
PREFIX = 'module.'
CONV = ('weight', 'bias')
BATCH_NORM = ('weight', 'bias', 'running_mean', 'running_var',
              'num_batches_tracked')
TRACKED = 'num_batches_tracked'
# original channels of the three stages: layer1 keeps stride 1 (no shortcut)
STRIDED_LAYERS = (2, 3)


def _params(src: str, dst: str, names=CONV) -> Dict[str, str]:
    return {f'{src}.{n}': f'{dst}.{n}' for n in names}


def _encoder_key_map(src: str, dst: str, batch_norm: bool) -> Dict[str, str]:
    """``BasicEncoder`` (``core/extractor.py``) -> torchvision
    ``FeatureEncoder``; norms only with ``batch_norm`` (instance norm has
    no state)."""
    keys = _params(f'{src}.conv1', f'{dst}.convnormrelu.0')
    if batch_norm:
        keys.update(
            _params(f'{src}.norm1', f'{dst}.convnormrelu.1', BATCH_NORM))
    for layer in (1, 2, 3):
        for block in (0, 1):
            s, d = f'{src}.layer{layer}.{block}', f'{dst}.layer{layer}.{block}'
            for i in (1, 2):
                keys.update(_params(f'{s}.conv{i}', f'{d}.convnormrelu{i}.0'))
                if batch_norm:
                    keys.update(
                        _params(f'{s}.norm{i}', f'{d}.convnormrelu{i}.1',
                                BATCH_NORM))
            if layer in STRIDED_LAYERS and block == 0:
                keys.update(_params(f'{s}.downsample.0', f'{d}.downsample.0'))
                if batch_norm:
                    keys.update(
                        _params(f'{s}.downsample.1', f'{d}.downsample.1',
                                BATCH_NORM))
    keys.update(_params(f'{src}.conv2', f'{dst}.conv'))
    return keys


def raft_large_key_map() -> Dict[str, str]:
    """Every key of the original RAFT-large (without ``module.``) and its
    torchvision ``raft_large`` name.

    Returns:
        dict[str, str]: 169 entries (the keys of ``raft_large()``), the
        ``norm3`` aliases excluded (see :func:`shortcut_norm_aliases`).
    """
    keys = _encoder_key_map('fnet', 'feature_encoder', batch_norm=False)
    keys.update(_encoder_key_map('cnet', 'context_encoder', batch_norm=True))
    motion = {
        'convc1': 'convcorr1.0',
        'convc2': 'convcorr2.0',
        'convf1': 'convflow1.0',
        'convf2': 'convflow2.0',
        'conv': 'conv.0',
    }
    for src, dst in motion.items():
        keys.update(
            _params(f'update_block.encoder.{src}',
                    f'update_block.motion_encoder.{dst}'))
    for i in (1, 2):
        for gate in 'zrq':
            keys.update(
                _params(f'update_block.gru.conv{gate}{i}',
                        f'update_block.recurrent_block.convgru{i}.conv{gate}'))
    for i in (1, 2):
        keys.update(
            _params(f'update_block.flow_head.conv{i}',
                    f'update_block.flow_head.conv{i}'))
    keys.update(_params('update_block.mask.0', 'mask_predictor.convrelu.0'))
    keys.update(_params('update_block.mask.2', 'mask_predictor.conv'))
    return keys


def shortcut_norm_aliases() -> Dict[str, str]:
    """``cnet.layer{2,3}.0.norm3.*`` -> the ``downsample.1.*`` key of the same
    module (``ResidualBlock`` registers its shortcut norm under both
    names)."""
    aliases = {}
    for layer in STRIDED_LAYERS:
        block = f'cnet.layer{layer}.0'
        aliases.update(
            _params(f'{block}.norm3', f'{block}.downsample.1', BATCH_NORM))
    return aliases


def convert_raft(
        state_dict: Mapping[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename an original RAFT-large state dict to torchvision ``raft_large``.

    Args:
        state_dict: tensors of princeton-vl/RAFT ``RAFT`` (large), keys with
            or without the ``module.`` prefix of ``nn.DataParallel``.

    Returns:
        OrderedDict[str, Tensor]: the 169 keys of ``raft_large()`` (float
        parameters and BatchNorm buffers unchanged, int64
        ``num_batches_tracked``), ready for ``load_state_dict(strict=True)``.

    Raises:
        ValueError: some keys have the ``module.`` prefix and others not; a
            ``norm3`` alias differs from its ``downsample.1`` tensor; or keys
            are missing / unexpected (named, e.g. those of RAFT-small).
    """
    prefixed = [key.startswith(PREFIX) for key in state_dict]
    if any(prefixed) and not all(prefixed):
        raise ValueError(f'RAFT checkpoint mixes keys with and without the '
                         f'{PREFIX!r} prefix')
    state = {
        key[len(PREFIX):] if key.startswith(PREFIX) else key: value
        for key, value in state_dict.items()
    }
    for alias, key in shortcut_norm_aliases().items():
        if alias in state and key in state and not torch.equal(
                state[alias], state[key]):
            raise ValueError(f'RAFT checkpoint: {alias!r} differs from '
                             f'{key!r} (they are one module in RAFT)')
        state.pop(alias, None)
    key_map = raft_large_key_map()
    for key in key_map:
        if key.endswith(TRACKED) and key not in state:
            state[key] = torch.tensor(0, dtype=torch.long)
    return rename_strict(state, key_map, source='RAFT checkpoint')


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an original RAFT-large checkpoint '
        '(princeton-vl/RAFT, e.g. raft-things.pth) to torchvision raft_large '
        'keys, as mmvseg RAFTFlow(checkpoint=...) loads them.')
    parser.add_argument('src', help='path of the original checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    args = parser.parse_args()

    checkpoint = read_source_checkpoint(args.src)
    state_dict = convert_raft(checkpoint)
    meta = dict(
        source='princeton-vl/RAFT core/raft.py RAFT (large)',
        source_file=osp.basename(args.src),
        target='torchvision.models.optical_flow.raft_large')
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'converted {len(checkpoint)} tensors to {len(state_dict)} '
          f'raft_large tensors in {args.dst}')


if __name__ == '__main__':
    main()
