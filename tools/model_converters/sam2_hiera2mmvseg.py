# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert an original SAM 2 checkpoint to mmvseg's ``SAM2Hiera`` backbone.

Source layout: ``facebookresearch/sam2`` checkpoints (``sam2_hiera_small.pt``,
``sam2_hiera_base_plus.pt``; SAM 2.0, the ones the SSP repo used), a dict
whose ``model`` entry holds the whole SAM 2 state dict. Only the image
encoder trunk (``image_encoder.trunk.*``, class ``Hiera`` of
``sam2/modeling/backbones/hieradet.py``) is kept; the neck
(``image_encoder.neck.*``), memory attention / encoder, prompt encoder and
mask decoder are dropped (FraunhoferIVI/SSP ``models/image/models.py``
likewise uses the trunk only). The trunk keys are renamed with timm's own
``checkpoint_filter_fn`` (``timm/models/hieradet_sam2.py``: strips the
prefix, ``mlp.layers.0/1`` -> ``mlp.fc1/fc2``) and prefixed with
``backbone.trunk.model.`` (the timm ``features_only`` model inside
:class:`mmvseg.models.backbones.hiera.SAM2Hiera`). Unlike the SSP repo (which
strips ``image_encoder.trunk.`` and loads with ``strict=False``, so that
keys which do not match are ignored silently), a missing, unexpected or
mis-shaped trunk tensor is an error.

The output only holds the backbone; load it with
``backbone=dict(type='SAM2Hiera', init_cfg=dict(type='Pretrained',
checkpoint=DST, prefix='backbone.'))``.

Usage::

    python tools/model_converters/sam2_hiera2mmvseg.py \\
        sam2_hiera_small.pt checkpoints/sam2_hiera-s_backbone.pth
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch
from timm.models.hieradet_sam2 import checkpoint_filter_fn
from torch import Tensor

from mmvseg.models.backbones.hiera import HIERA_ARCHS, TIMM_PREFIX, SAM2Hiera
from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)

SAM2_TRUNK_PREFIX = 'image_encoder.trunk.'
TARGET_PREFIX = 'backbone.' + TIMM_PREFIX


def infer_arch(state_dict: Mapping[str, Tensor],
               source: str = 'checkpoint') -> str:
    """Hiera variant of a SAM 2 state dict from its trunk keys.

    The embedding width (channels of ``image_encoder.trunk.pos_embed``) and
    the number of blocks (``image_encoder.trunk.blocks.<i>``) must match one
    of :data:`mmvseg.models.backbones.hiera.HIERA_ARCHS`.

    Returns:
        str: ``'sam2_hiera_small'`` or ``'sam2_hiera_base_plus'``.

    Raises:
        ValueError: no ``pos_embed`` trunk tensor, or a width / depth of no
            supported variant (e.g. SAM 2 Hiera-T or Hiera-L).
    """
    pos_embed = state_dict.get(SAM2_TRUNK_PREFIX + 'pos_embed')
    if pos_embed is None or pos_embed.dim() != 4:
        raise ValueError(f'{source}: no 4-D {SAM2_TRUNK_PREFIX}pos_embed, '
                         'cannot infer the Hiera variant (pass --arch)')
    pattern = re.compile(re.escape(SAM2_TRUNK_PREFIX) + r'blocks\.(\d+)\.')
    blocks = {int(m.group(1)) for m in map(pattern.match, state_dict) if m}
    width, depth = pos_embed.shape[1], len(blocks)
    for arch, (channels, stages) in HIERA_ARCHS.items():
        if channels[0] == width and sum(stages) == depth:
            return arch
    raise ValueError(f'{source}: a Hiera trunk of width {width} with {depth} '
                     f'blocks is none of {sorted(HIERA_ARCHS)}')


def convert_sam2_hiera(state_dict: Mapping[str, Tensor],
                       arch: Optional[str] = None,
                       source: str = 'checkpoint'
                       ) -> 'OrderedDict[str, Tensor]':
    """Rename the trunk of a SAM 2 state dict into ``SAM2Hiera`` keys.

    Args:
        state_dict: the SAM 2 model state dict (``torch.load(pt)['model']``);
            keys outside ``image_encoder.trunk.`` are ignored.
        arch: ``'sam2_hiera_small'`` / ``'sam2_hiera_base_plus'``; inferred
            by :func:`infer_arch` when None.
        source: name of the source in error messages (e.g. its path).

    Returns:
        OrderedDict[str, Tensor]: ``backbone.trunk.model.*`` -> the same
        tensors, exactly the state dict of ``SAM2Hiera(arch)`` under the
        prefix ``backbone.`` (202 keys for Hiera-S, 298 for Hiera-B+).

    Raises:
        ValueError: an unknown ``arch``; a trunk tensor that the backbone
            lacks (unexpected), a backbone tensor without a trunk tensor
            (missing), or a shape mismatch (the message names up to 5).
    """
    if arch is None:
        arch = infer_arch(state_dict, source)
    elif arch not in HIERA_ARCHS:
        raise ValueError(f'arch must be one of {sorted(HIERA_ARCHS)}, '
                         f'got {arch!r}')
    with torch.device('meta'):
        expected = {
            key[len(TIMM_PREFIX):]: value.shape
            for key, value in SAM2Hiera(arch).state_dict().items()
        }
    trunk_keys = [
        key for key in state_dict if key.startswith(SAM2_TRUNK_PREFIX)
    ]
    # timm's SAM2 -> timm rename, applied to the key names themselves:
    # timm key -> SAM 2 key.
    timm_to_sam2: Dict[str, str] = checkpoint_filter_fn(
        {key: key for key in trunk_keys}, prefix=SAM2_TRUNK_PREFIX)
    missing = [key for key in expected if key not in timm_to_sam2]
    if missing:
        raise ValueError(
            f'{source}: {len(missing)} {arch} trunk tensors missing '
            f'(timm names, SAM 2 prefix {SAM2_TRUNK_PREFIX!r}): {missing[:5]}')
    key_map = {timm_to_sam2[key]: TARGET_PREFIX + key for key in expected}
    ignored = [key for key in state_dict if key not in trunk_keys]
    converted = rename_strict(state_dict, key_map, ignored, source=source)
    wrong = [
        f'{src}: {tuple(state_dict[src].shape)} != {tuple(expected[key])}'
        for key, src in ((key, timm_to_sam2[key]) for key in expected)
        if state_dict[src].shape != expected[key]
    ]
    if wrong:
        raise ValueError(f'{source}: {len(wrong)} trunk tensors do not fit '
                         f'{arch}: {wrong[:5]}')
    return converted


def main(argv: Optional[list] = None) -> None:
    """Command line: ``src dst [--arch ARCH]`` (``argv`` defaults to
    ``sys.argv[1:]``); writes ``{'state_dict', 'meta'}`` to ``dst``."""
    parser = argparse.ArgumentParser(
        description='Convert the image encoder trunk of an original SAM 2 '
        'checkpoint (facebookresearch/sam2) to mmvseg SAM2Hiera backbone '
        'keys.')
    parser.add_argument('src', help='path of the SAM 2 checkpoint (.pt)')
    parser.add_argument('dst', help='path of the converted checkpoint')
    parser.add_argument(
        '--arch',
        choices=sorted(HIERA_ARCHS),
        default=None,
        help='Hiera variant (default: inferred from the trunk keys)')
    args = parser.parse_args(argv)

    checkpoint = read_source_checkpoint(args.src, keys=('model', ))
    arch = args.arch or infer_arch(checkpoint, args.src)
    state_dict = convert_sam2_hiera(checkpoint, arch, source=args.src)
    meta = dict(
        source='facebookresearch/sam2 sam2/modeling/backbones/hieradet.py '
        'Hiera (image_encoder.trunk)',
        source_file=osp.basename(args.src),
        arch=arch)
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'converted {len(state_dict)} of {len(checkpoint)} tensors '
          f'({arch} trunk) to {args.dst}')


if __name__ == '__main__':
    main()
