# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert a CRW (ajabri/videowalk) or torchvision-layout ResNet checkpoint
to mmvseg's :class:`CRWResNet` backbone (the encoders of the Contrastive
Random Walk, Jabri et al., NeurIPS 2020, and the ResNet-50 encoders that
minhoooo1/CatMAE ``downstream/davis2017-seg/code/utils/__init__.py``
``make_encoder`` compares with it).

CRW source layout (ajabri/videowalk ``code/train.py``): the file is a dict
``{'model', 'optimizer', 'lr_scheduler', 'epoch', 'args'}``; ``model`` is the
state dict of ``code/model.py`` ``CRW``, whose ``encoder`` is a ``From3D``
wrapper (``code/utils/__init__.py``) around the modified torchvision
ResNet-18, hence the encoder keys ``encoder.model.<torchvision key>``
(layer4 included: training keeps it; fc and avgpool are removed by
``ResNet.modify``); ``selfsim_fc.*`` is the projection head, unused for
label propagation. Old checkpoints stored the reflect-padded convs as a
``Sequential(pad, conv)``, i.e. ``...conv1.1.weight`` / ``...conv2.1.weight``
(videowalk ``code/test.py`` renames them for model type ``scratch``).

Rules: keep the keys that start with ``--prefix`` (``encoder.model.`` for
CRW) and strip it; apply the Sequential rename; drop ``layer4.*`` and
``fc.*``; every remaining key must be a ``CRWResNet(depth)`` key with the
same shape and every ``CRWResNet`` key must be present (missing
``num_batches_tracked`` buffers are set to 0). Keys outside the prefix
(heads, MoCo's key encoder and queue, SimSiam's predictor) are dropped.

ResNet-50 sources (CatMAE's ``imagenet50``, ``simsiam``, ``mocov2``,
``dino_r50``) are torchvision state dicts under a prefix: SimSiam
``module.encoder.``, MoCo v2 ``module.encoder_q.``, torchvision ImageNet /
DINO-R50 ``''``. The output has ``backbone.`` keys for a segmentor whose
backbone is ``CRWResNet(depth, padding_mode)``; the padding mode is not in
the weights and is written to the meta (``reflect`` for CRW, ``zeros``
otherwise).

Usage::

    python tools/model_converters/crw2mmvseg.py --trusted \\
        pretrained.pth work_dirs/crw_r18.pth
    python tools/model_converters/crw2mmvseg.py --depth 50 \\
        --prefix module.encoder_q. moco_v2_800ep_pretrain.pth.tar \\
        work_dirs/mocov2_r50.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch
from torch import Tensor

from mmvseg.models.backbones.crw_resnet import CRWResNet
from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)

CRW_PREFIX = 'encoder.model.'
LEGACY_SUFFIXES = ('conv1.1.weight', 'conv2.1.weight')
DROPPED = ('layer4.', 'fc.')
TRACKED = 'num_batches_tracked'


def default_padding_mode(prefix: str) -> str:
    """``'reflect'`` for the CRW encoder prefix (videowalk model type
    ``scratch``), ``'zeros'`` for any other source."""
    return 'reflect' if prefix == CRW_PREFIX else 'zeros'


def legacy_rename(key: str) -> str:
    """``...conv1.1.weight`` / ``...conv2.1.weight`` (old videowalk
    ``Sequential(pad, conv)``) -> ``...conv1.weight`` / ``...conv2.weight``;
    other keys are returned unchanged."""
    if key.endswith(LEGACY_SUFFIXES):
        return key[:-len('.1.weight')] + '.weight'
    return key


def extract_encoder(state_dict: Mapping[str, Tensor],
                    prefix: str = CRW_PREFIX) -> Dict[str, Tensor]:
    """The ResNet tensors of ``state_dict`` in torchvision names, up to
    layer3.

    Keeps the keys starting with ``prefix`` (stripped), applies
    :func:`legacy_rename` and drops ``layer4.*`` and ``fc.*``.

    Raises:
        ValueError: no key starts with ``prefix``, or a legacy key and its
            renamed form are both present.
    """
    if not any(key.startswith(prefix) for key in state_dict):
        raise ValueError(f'no key starts with {prefix!r}; first keys: '
                         f'{list(state_dict)[:5]} (set --prefix)')
    encoder = {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        name = legacy_rename(key[len(prefix):])
        if name.startswith(DROPPED):
            continue
        if name in encoder:
            raise ValueError(f'two keys map to {prefix + name!r}: the old '
                             'Sequential name (...conv1.1.weight / '
                             '...conv2.1.weight) and the new one')
        encoder[name] = value
    return encoder


def convert_crw(state_dict: Mapping[str, Tensor],
                depth: int = 18,
                prefix: str = CRW_PREFIX) -> 'OrderedDict[str, Tensor]':
    """Rename a CRW / torchvision ResNet state dict to ``CRWResNet`` keys.

    Args:
        state_dict: source tensors, e.g. ``ckpt['model']`` of videowalk
            ``pretrained.pth`` (``encoder.model.*`` keys) or a torchvision
            ResNet state dict under ``prefix``.
        depth: ResNet depth of the source (18 for CRW, 50 for the
            ResNet-50 variants).
        prefix: prefix of the ResNet keys in ``state_dict`` (``''`` for a
            plain torchvision state dict).

    Returns:
        OrderedDict[str, Tensor]: ``backbone.<name>`` -> the source tensor
        (unchanged, not copied) for every parameter and buffer of
        ``CRWResNet(depth)``; ``num_batches_tracked`` absent from the source
        is an int64 0.

    Raises:
        ValueError: no key has ``prefix``; a ResNet key up to layer3 is
            missing or not a ``CRWResNet(depth)`` key; a tensor has the wrong
            shape (e.g. a wrong ``depth``). Up to 5 keys are named.
    """
    encoder = extract_encoder(state_dict, prefix)
    with torch.device('meta'):  # names and shapes only, no memory
        target = CRWResNet(depth=depth).state_dict()
    for name in target:
        if name.endswith(TRACKED) and name not in encoder:
            encoder[name] = torch.tensor(0, dtype=torch.long)
    source = f'ResNet-{depth} encoder under {prefix!r}'
    converted = rename_strict(
        encoder, {name: f'backbone.{name}'
                  for name in target}, source=source)
    wrong = [
        f'{name} {tuple(encoder[name].shape)} != {tuple(ref.shape)}'
        for name, ref in target.items() if encoder[name].shape != ref.shape
    ]
    if wrong:
        raise ValueError(f'{source}: {len(wrong)} tensors with a wrong '
                         f'shape (source != CRWResNet): {wrong[:5]}')
    return converted


def main(argv: Optional[list] = None) -> None:
    """Command line entry: ``src dst [--depth] [--prefix] [--padding-mode]
    [--trusted]`` (``argv`` defaults to ``sys.argv[1:]``).

    Raises:
        FileNotFoundError: ``src`` is not a file.
        ValueError: ``src`` cannot be read (e.g. it stores non-tensor
            objects and ``--trusted`` is not given) or fails
            :func:`convert_crw` (the message starts with ``src``).
    """
    parser = argparse.ArgumentParser(
        description='Convert an ajabri/videowalk CRW checkpoint (or a '
        'torchvision-layout ResNet-50) to mmvseg CRWResNet backbone keys.')
    parser.add_argument('src', help='path of the original checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    parser.add_argument(
        '--depth', type=int, default=18, choices=(18, 50),
        help='ResNet depth of the source (18: CRW, 50: ResNet-50 variants)')
    parser.add_argument(
        '--prefix',
        default=None,
        help=f'prefix of the ResNet keys (default {CRW_PREFIX!r} for depth '
        "18, '' for depth 50; 'module.encoder.' SimSiam, "
        "'module.encoder_q.' MoCo v2)")
    parser.add_argument(
        '--padding-mode',
        default=None,
        choices=('zeros', 'reflect'),
        help="padding of the CRWResNet config written to the meta (default "
        f"'reflect' for prefix {CRW_PREFIX!r}, else 'zeros')")
    parser.add_argument(
        '--trusted',
        action='store_true',
        help='unpickle non-tensor objects (videowalk checkpoints store '
        '`args`); only for files from a trusted source')
    args = parser.parse_args(argv)

    prefix = args.prefix
    if prefix is None:
        prefix = CRW_PREFIX if args.depth == 18 else ''
    padding_mode = args.padding_mode or default_padding_mode(prefix)
    checkpoint = read_source_checkpoint(args.src, trusted=args.trusted)
    try:
        state_dict = convert_crw(checkpoint, args.depth, prefix)
    except ValueError as err:
        raise ValueError(f'{args.src}: {err}') from err
    if prefix == CRW_PREFIX:
        source = ('ajabri/videowalk code/model.py CRW.encoder '
                  '(code/resnet.py ResNet-18, model type scratch)')
    else:
        source = f'torchvision-layout ResNet-{args.depth} under {prefix!r}'
    meta = dict(
        source=source,
        source_file=osp.basename(args.src),
        depth=args.depth,
        prefix=prefix,
        padding_mode=padding_mode,
        backbone=dict(
            type='CRWResNet', depth=args.depth, padding_mode=padding_mode))
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'kept {len(state_dict)} of {len(checkpoint)} tensors '
          f'(ResNet-{args.depth} up to layer3, padding {padding_mode}) '
          f'-> {args.dst}')


if __name__ == '__main__':
    main()
