# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert RAFT-large weights between torchvision's and mmflow's layouts.

torchvision layout: ``torchvision.models.optical_flow.raft_large``
(``torchvision/models/optical_flow/raft.py``), what
:class:`mmvseg.models.flow.RAFTFlow` loads (e.g. torchvision's
``Raft_Large_Weights`` file, or an original ``raft-things.pth`` converted by
``raft2torchvision.py``).

mmflow layout: mmflow 1.x ``RAFT`` built from
``mmflow::raft/*.py`` (``mmflow/models/flow_estimators/raft.py``, encoders
``mmflow/models/encoders/raft_encoder.py``, decoder
``mmflow/models/decoders/raft_decoder.py``), what
:class:`mmvseg.models.flow.MMFlowEstimator` and mmflow's own
``init_model`` load; e.g. the checkpoints of mmflow's RAFT model zoo.

The two implementations compute the same function (same layers, the same
correlation pyramid and look-up, the 0.25 factor of the upsampling mask, one
flow per update), so the conversion is a pure rename, tensors unchanged, and
a round trip gives back the same state dict (169 tensors each way):

- ``feature_encoder`` / ``context_encoder`` <-> ``encoder`` / ``context``;
  stem ``convnormrelu.{0,1}`` <-> ``conv1`` / ``bn1``; residual block
  ``layer<L>.<b>.convnormrelu<i>.{0,1}`` <-> ``res_layer<L>.<b>.conv<i>`` /
  ``bn<i>``; ``downsample`` unchanged; output ``conv`` <-> ``conv2`` (the
  feature encoder's instance norms have no tensors; mmflow names the context
  encoder's norms ``bn`` because its RAFT configs use ``SyncBN``, which is a
  ``BatchNorm2d`` outside distributed training).
- ``update_block.motion_encoder.{convcorr1,convcorr2,convflow1,convflow2,
  conv}.0`` <-> ``decoder.encoder.{corr_net.0,corr_net.1,flow_net.0,
  flow_net.1,out_net.0}.conv``.
- ``update_block.recurrent_block.convgru<i>.conv<g>`` <->
  ``decoder.gru.conv_<g>.<i-1>.conv`` (g = z, r, q).
- ``update_block.flow_head.conv{1,2}`` <-> ``decoder.flow_pred.layers.0.conv``
  / ``decoder.flow_pred.predict_layer``; ``mask_predictor.{convrelu.0,conv}``
  <-> ``decoder.mask_pred.{layers.0.conv,predict_layer}``.

**Input channel order.** torchvision's RAFT (and the original RAFT) take RGB
in ``[-1, 1]``; mmflow's models take BGR (mmflow loads images with
``mmcv.imfrombytes``) normalised by their ``data_preprocessor``. mmflow's
RAFT configs normalise with mean 127.5, std 127.5 (= ``2 * x / 255 - 1``)
and ``bgr_to_rgb=False``, so weights converted from torchvision need
``bgr_to_rgb=True`` there, e.g.
``MMFlowEstimator(config, checkpoint, cfg_options={'model.data_preprocessor.
bgr_to_rgb': True})``; weights converted from mmflow's model zoo to
torchvision expect BGR frames (see docs/en/user_guides/optical_flow.md).

Usage::

    python tools/model_converters/raft_torchvision_mmflow.py \\
        checkpoints/raft_large_things.pth checkpoints/raft_large_mmflow.pth
    python tools/model_converters/raft_torchvision_mmflow.py \\
        raft_8x2_100k_mixed_368x768.pth checkpoints/raft_mixed_tv.pth \\
        --to torchvision --trusted

The direction is found from the keys when ``--to`` is not given. The output
is ``{'state_dict': ..., 'meta': ...}`` with the target keys (no prefix).
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping, Optional

from torch import Tensor

from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)

CONV = ('weight', 'bias')
BATCH_NORM = ('weight', 'bias', 'running_mean', 'running_var',
              'num_batches_tracked')
TARGETS = ('mmflow', 'torchvision')
#: Layers whose first block has a strided 1x1 shortcut.
STRIDED_LAYERS = (2, 3)


def _params(src: str, dst: str, names=CONV) -> Dict[str, str]:
    return {f'{src}.{n}': f'{dst}.{n}' for n in names}


def _encoder_key_map(tv: str, mm: str, batch_norm: bool) -> Dict[str, str]:
    keys = _params(f'{tv}.convnormrelu.0', f'{mm}.conv1')
    if batch_norm:
        keys.update(_params(f'{tv}.convnormrelu.1', f'{mm}.bn1', BATCH_NORM))
    for layer in (1, 2, 3):
        for block in (0, 1):
            src = f'{tv}.layer{layer}.{block}'
            dst = f'{mm}.res_layer{layer}.{block}'
            for i in (1, 2):
                keys.update(
                    _params(f'{src}.convnormrelu{i}.0', f'{dst}.conv{i}'))
                if batch_norm:
                    keys.update(
                        _params(f'{src}.convnormrelu{i}.1', f'{dst}.bn{i}',
                                BATCH_NORM))
            if layer in STRIDED_LAYERS and block == 0:
                keys.update(
                    _params(f'{src}.downsample.0', f'{dst}.downsample.0'))
                if batch_norm:
                    keys.update(
                        _params(f'{src}.downsample.1', f'{dst}.downsample.1',
                                BATCH_NORM))
    keys.update(_params(f'{tv}.conv', f'{mm}.conv2'))
    return keys


def torchvision_to_mmflow_key_map() -> Dict[str, str]:
    """Every key of torchvision ``raft_large()`` and its mmflow ``RAFT``
    name.

    Returns:
        dict[str, str]: 169 entries, one per tensor of either model.
    """
    keys = _encoder_key_map('feature_encoder', 'encoder', batch_norm=False)
    keys.update(_encoder_key_map('context_encoder', 'context',
                                 batch_norm=True))
    motion = {
        'convcorr1': 'corr_net.0',
        'convcorr2': 'corr_net.1',
        'convflow1': 'flow_net.0',
        'convflow2': 'flow_net.1',
        'conv': 'out_net.0',
    }
    for tv, mm in motion.items():
        keys.update(
            _params(f'update_block.motion_encoder.{tv}.0',
                    f'decoder.encoder.{mm}.conv'))
    for i in (1, 2):
        for gate in 'zrq':
            keys.update(
                _params(f'update_block.recurrent_block.convgru{i}.conv{gate}',
                        f'decoder.gru.conv_{gate}.{i - 1}.conv'))
    keys.update(
        _params('update_block.flow_head.conv1',
                'decoder.flow_pred.layers.0.conv'))
    keys.update(
        _params('update_block.flow_head.conv2',
                'decoder.flow_pred.predict_layer'))
    keys.update(
        _params('mask_predictor.convrelu.0',
                'decoder.mask_pred.layers.0.conv'))
    keys.update(
        _params('mask_predictor.conv', 'decoder.mask_pred.predict_layer'))
    return keys


def detect_layout(state_dict: Mapping[str, Tensor]) -> Optional[str]:
    """``'torchvision'``, ``'mmflow'`` or None, from the key prefixes."""
    if any(k.startswith('feature_encoder.') for k in state_dict):
        return 'torchvision'
    if any(k.startswith('context.') for k in state_dict) and any(
            k.startswith('decoder.') for k in state_dict):
        return 'mmflow'
    return None


def convert_raft(state_dict: Mapping[str, Tensor],
                 to: str) -> 'OrderedDict[str, Tensor]':
    """Rename a RAFT-large state dict to the layout ``to``.

    Args:
        state_dict: torchvision ``raft_large`` tensors (``to='mmflow'``) or
            mmflow ``RAFT`` tensors (``to='torchvision'``); a ``module.``
            prefix on every key is removed.
        to: ``'mmflow'`` or ``'torchvision'``.

    Returns:
        OrderedDict[str, Tensor]: the same tensors under the target keys,
        ready for ``load_state_dict(strict=True)``.

    Raises:
        ValueError: unknown ``to``; keys missing or unexpected for the source
            layout (named; e.g. those of RAFT-small, GMA's attention, or a
            checkpoint already in the target layout).
    """
    if to not in TARGETS:
        raise ValueError(f'to must be one of {TARGETS}, got {to!r}')
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    key_map = torchvision_to_mmflow_key_map()
    if to == 'torchvision':
        key_map = {mm: tv for tv, mm in key_map.items()}
    source = 'torchvision raft_large' if to == 'mmflow' else 'mmflow RAFT'
    return rename_strict(state_dict, key_map, source=f'{source} checkpoint')


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert RAFT-large weights between torchvision '
        '(raft_large, RAFTFlow) and mmflow (RAFT, MMFlowEstimator) keys.')
    parser.add_argument('src', help='path of the source checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    parser.add_argument('--to', choices=TARGETS,
                        help='target layout (default: the other one)')
    parser.add_argument('--trusted', action='store_true',
                        help='unpickle arbitrary objects (mmflow model-zoo '
                        'files keep their training meta-data beside the '
                        'weights); only for files you trust')
    args = parser.parse_args()

    state_dict = read_source_checkpoint(args.src, trusted=args.trusted)
    to = args.to
    if to is None:
        layout = detect_layout(state_dict)
        if layout is None:
            raise SystemExit(
                f'{args.src}: neither torchvision raft_large nor mmflow RAFT '
                f'keys (first keys: {sorted(state_dict)[:5]}); pass --to')
        to = 'mmflow' if layout == 'torchvision' else 'torchvision'
    converted = convert_raft(state_dict, to)
    source = 'mmflow' if to == 'torchvision' else 'torchvision'
    meta = dict(
        source=f'{source} RAFT-large',
        source_file=osp.basename(args.src),
        target=dict(
            mmflow='mmflow RAFT (mmflow::raft configs)',
            torchvision='torchvision.models.optical_flow.raft_large')[to],
        channel_order=dict(
            mmflow='RGB: set model.data_preprocessor.bgr_to_rgb=True',
            torchvision='BGR (mmflow-trained weights)')[to])
    save_converted_checkpoint(converted, args.dst, meta)
    print(f'converted {len(state_dict)} {source} tensors to '
          f'{len(converted)} {to} tensors in {args.dst}')


if __name__ == '__main__':
    main()
