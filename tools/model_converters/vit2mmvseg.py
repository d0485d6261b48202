# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert a DINO, MAE or CatMAE ViT checkpoint to mmvseg's ViTPatchTokens.

Sources (the ViT features of the DAVIS label-propagation evaluations of
DINO, ``eval_video_segmentation.py``, and CatMAE, ``test_mae.py``):

* ``dino``: ``facebookresearch/dino`` ``main_dino.py`` training checkpoints
  (the ``teacher`` state dict, keys ``backbone.*`` plus the DINO projection
  ``head.*``, with ``module.`` when saved from DDP) or the plain hub files
  such as ``dino_vits16_pretrain.pth`` (encoder keys only).
* ``mae``: ``facebookresearch/mae`` ``models_mae.py`` pretraining
  checkpoints (``ckpt['model']``; decoder ``decoder_*`` and ``mask_token``).
* ``catmae``: ``minhoooo1/CatMAE`` ``models_catmae.py`` checkpoints
  (``ckpt['model']``; decoder ``decoder_*`` including
  ``decoder_frame_info``, and ``mask_token``), the weights read by its
  ``downstream/davis2017-seg/code/models_mae.py``.

The encoders of all three use timm's names, which are also
``ViTPatchTokens``'s, so the conversion strips the wrapper prefixes, drops
the keys of the head / decoder and adds ``backbone.``. Unlike CatMAE's
loader (which keeps only the keys it finds and leaves the others at their
initial values), every encoder key must be present with the right shape and
any other key is an error. MAE's fixed sin-cos ``pos_embed`` is a parameter
of the checkpoint and is carried over like the learned tables.

Usage::

    python tools/model_converters/vit2mmvseg.py --source dino \\
        dino_vits16_pretrain.pth work_dirs/dino_vits16_mmvseg.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict
from functools import lru_cache
from typing import Dict, Mapping, NamedTuple, Optional, Tuple

import torch
from torch import Tensor

from mmvseg.models.backbones.vit_patch_tokens import VIT_ARCHS, ViTPatchTokens
from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)


class SourceLayout(NamedTuple):
    """Where a source keeps its encoder in a checkpoint."""
    origin: str  # repository and file of the model definition
    checkpoint_keys: Tuple[str, ...]  # wrapper keys of the state dict
    prefixes: Tuple[str, ...]  # leading prefixes stripped, in this order
    dropped: Tuple[str, ...]  # key prefixes of non-encoder parts


SOURCES: Dict[str, SourceLayout] = {
    'dino':
    SourceLayout('facebookresearch/dino vision_transformer.py', ('teacher', ),
                 ('module.', 'backbone.'), ('head.', )),
    'mae':
    SourceLayout('facebookresearch/mae models_mae.py', ('model', ),
                 ('module.', ), ('decoder_', 'mask_token')),
    'catmae':
    SourceLayout('minhoooo1/CatMAE models_catmae.py', ('model', ),
                 ('module.', ), ('decoder_', 'mask_token')),
}


def _layout(source: str) -> SourceLayout:
    if source not in SOURCES:
        raise ValueError(f'unknown source {source!r}; expected one of '
                         f'{sorted(SOURCES)}')
    return SOURCES[source]


@lru_cache(maxsize=None)
def encoder_shapes(arch: str) -> Dict[str, torch.Size]:
    """Parameter name -> shape of ``ViTPatchTokens(arch)`` (built on the
    meta device, no memory)."""
    with torch.device('meta'):
        model = ViTPatchTokens(arch=arch)
    return {key: value.shape for key, value in model.state_dict().items()}


def strip_prefixes(state_dict: Mapping[str, Tensor],
                   source: str) -> 'OrderedDict[str, Tensor]':
    """Remove the source's wrapper prefixes (e.g. DINO's ``module.`` and
    ``backbone.``) from the start of every key.

    Raises:
        ValueError: an unknown source, or two keys that become equal.
    """
    stripped, original = OrderedDict(), {}
    for key, value in state_dict.items():
        name = key
        for prefix in _layout(source).prefixes:
            if name.startswith(prefix):
                name = name[len(prefix):]
        if name in stripped:
            raise ValueError(f'{source}: keys {original[name]!r} and {key!r} '
                             f'both become {name!r} without prefixes')
        stripped[name], original[name] = value, key
    return stripped


def infer_arch(state_dict: Mapping[str, Tensor]) -> str:
    """ViTPatchTokens arch of an encoder state dict (prefixes stripped):
    the patch size and width are read from ``patch_embed.proj.weight``
    (C, 3, p, p).

    Raises:
        ValueError: the key is missing or its shape fits no supported arch.
    """
    weight = state_dict.get('patch_embed.proj.weight')
    if weight is None:
        raise ValueError('no patch_embed.proj.weight: not a ViT encoder '
                         f'state dict (first keys: {list(state_dict)[:5]})')
    for arch, spec in VIT_ARCHS.items():
        patch, dim = spec['patch_size'], spec['embed_dim']
        if tuple(weight.shape) == (dim, 3, patch, patch):
            return arch
    raise ValueError(
        f'patch_embed.proj.weight of shape {tuple(weight.shape)} fits none '
        f'of {sorted(VIT_ARCHS)} ((C, 3, p, p) with C = 384 or 768)')


def convert_vit(state_dict: Mapping[str, Tensor],
                source: str,
                arch: Optional[str] = None
                ) -> Tuple['OrderedDict[str, Tensor]', str]:
    """Keep the encoder of a DINO / MAE / CatMAE state dict, as mmvseg keys.

    Args:
        state_dict: the source's tensors (the ``teacher`` / ``model`` dict or
            a plain hub state dict), keys as saved by the source.
        source: ``'dino'``, ``'mae'`` or ``'catmae'``.
        arch: ``ViTPatchTokens`` arch; inferred by :func:`infer_arch` when
            None.

    Returns:
        tuple: the ``backbone.``-prefixed encoder tensors (unchanged objects,
        in ``ViTPatchTokens``'s key order, 150 entries) and the arch.

    Raises:
        ValueError: an unknown source or arch, a missing encoder key, a key
            that is neither encoder nor the source's head / decoder, or a
            tensor whose shape differs from the arch's (e.g. a position table
            for another grid than 224x224).
    """
    layout = _layout(source)
    stripped = strip_prefixes(state_dict, source)
    arch = arch or infer_arch(stripped)
    if arch not in VIT_ARCHS:
        raise ValueError(f'unknown arch {arch!r}; expected one of '
                         f'{sorted(VIT_ARCHS)}')
    shapes = encoder_shapes(arch)
    converted = rename_strict(
        stripped, {key: f'backbone.{key}'
                   for key in shapes},
        ignored=[key for key in stripped if key.startswith(layout.dropped)],
        source=f'{source} checkpoint (prefixes {list(layout.prefixes)} '
        'stripped)')
    for key, shape in shapes.items():
        found = converted[f'backbone.{key}'].shape
        if found != shape:
            raise ValueError(f'{source} checkpoint: {key} has shape '
                             f'{tuple(found)}, {arch} expects {tuple(shape)}')
    return converted, arch


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert a DINO / MAE / CatMAE ViT checkpoint to '
        'mmvseg ViTPatchTokens keys (backbone.*).')
    parser.add_argument(
        '--source', required=True, choices=sorted(SOURCES),
        help='repository the checkpoint comes from')
    parser.add_argument('src', help='path of the original checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    parser.add_argument(
        '--arch', choices=sorted(VIT_ARCHS),
        help='ViTPatchTokens arch (default: inferred from the weights)')
    parser.add_argument(
        '--trusted', action='store_true',
        help='unpickle non-tensor objects (full training checkpoints store '
        'an argparse.Namespace); only for files you trust')
    args = parser.parse_args()

    checkpoint = read_source_checkpoint(
        args.src,
        keys=SOURCES[args.source].checkpoint_keys,
        trusted=args.trusted)
    try:
        state_dict, arch = convert_vit(checkpoint, args.source, args.arch)
    except ValueError as err:
        raise ValueError(f'{args.src}: {err}') from err
    meta = dict(
        source=args.source,
        source_model=SOURCES[args.source].origin,
        source_file=osp.basename(args.src),
        arch=arch)
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'kept {len(state_dict)} of {len(checkpoint)} tensors ({arch}) in '
          f'{args.dst}')


if __name__ == '__main__':
    main()
