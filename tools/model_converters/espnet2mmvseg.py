# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert an original ESPNet checkpoint to mmvseg's ESPNet modules.

Source layout: ``sacmehta/ESPNet`` ``train/Model.py`` or ``test/Model.py``,
class ``ESPNet(classes, p, q)`` (encoder ESPNet-C + light-weight decoder;
Mehta et al., ECCV 2018). Target: ``EncoderDecoder`` with ``ESPNetEncoder`` as
``backbone`` and ``ESPNetHead`` as ``decode_head``. The conversion is a pure
rename, the same for both source files; the depths p and q are read from the
keys, and ``num_batches_tracked`` buffers (absent from the legacy
checkpoints) are added with value 0. The decoder variant is read from the
width of ``conv.conv.weight`` and stored in the checkpoint's meta:

- ``train/Model.py`` (``espnet_p_2_q_8_camvid.pth``): 19 + classes input
  channels, config ``configs/_base_/models/espnet_p2-q8.py``;
- ``test/Model.py`` (the Cityscapes ``espnet_p_2_q_8.pth``): 16 + classes,
  config ``configs/_base_/models/espnet_p2-q8_cityscapes.py``.

Usage::

    python tools/model_converters/espnet2mmvseg.py \\
        espnet_p_2_q_8_camvid.pth work_dirs/espnet_p2-q8_camvid.pth
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Mapping, Tuple

import torch
from torch import Tensor

from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                save_converted_checkpoint)

BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var')
TRACKED = 'num_batches_tracked'
BRANCHES = ('d1', 'd2', 'd4', 'd8', 'd16')


def _norm_act(src: str, dst: str, nested_bn: bool = False) -> Dict[str, str]:
    """Keys of a BN + PReLU pair (``BR`` or the tail of ``CBR``).

    ``nested_bn`` selects the ``bn.bn.*`` / ``bn.act.weight`` layout of the
    residual ESP block, whose BN + PReLU is a ``BR`` named ``bn``.
    """
    src_bn = f'{src}bn.bn.' if nested_bn else f'{src}bn.'
    src_act = f'{src}bn.act.' if nested_bn else f'{src}act.'
    keys = {src_bn + s: f'{dst}bn.{s}' for s in BN_SUFFIXES}
    keys[f'{src_act}weight'] = f'{dst}activate.weight'
    return keys


def _esp_block(src: str, dst: str, strided: bool) -> Dict[str, str]:
    """Keys of ``DownSamplerB`` (strided) or ``DilatedParllelResidualBlockB``
    -> ``ESPBlock``."""
    keys = {f'{src}c1.conv.weight': f'{dst}reduce.weight'}
    for i, name in enumerate(BRANCHES):
        keys[f'{src}{name}.conv.weight'] = f'{dst}branches.{i}.weight'
    keys.update(_norm_act(src, f'{dst}norm_act.', nested_bn=not strided))
    return keys


def espnet_key_map(p: int, q: int) -> Dict[str, str]:
    """Every key of the source ``ESPNet`` and its mmvseg name.

    Args:
        p (int): Residual ESP blocks at level 2.
        q (int): Residual ESP blocks at level 3.

    Returns:
        dict[str, str]: Source key -> target key, without
        ``num_batches_tracked``: 79 + 11 (p + q) entries (189 for p=2, q=8).
    """
    enc, bb, head = 'encoder.', 'backbone.', 'decode_head.'
    keys = {f'{enc}level1.conv.weight': f'{bb}level1.conv.weight'}
    keys.update(_norm_act(f'{enc}level1.', f'{bb}level1.'))
    for level, depth in ((2, p), (3, q)):
        keys.update(
            _norm_act(f'{enc}b{level - 1}.', f'{bb}level{level - 1}_norm.'))
        keys.update(
            _esp_block(
                f'{enc}level{level}_0.',
                f'{bb}level{level}_down.',
                strided=True))
        for i in range(depth):
            keys.update(
                _esp_block(
                    f'{enc}level{level}.{i}.',
                    f'{bb}level{level}.{i}.',
                    strided=False))
    keys.update(_norm_act(f'{enc}b3.', f'{bb}level3_norm.'))

    keys[f'{enc}classifier.conv.weight'] = f'{head}level3_proj.conv.weight'
    keys.update({f'br.{s}': f'{head}level3_proj.bn.{s}' for s in BN_SUFFIXES})
    keys['up_l3.0.weight'] = f'{head}level3_up.weight'
    keys['level3_C.conv.weight'] = f'{head}level2_proj.weight'
    keys.update(_norm_act('combine_l2_l3.0.', f'{head}level2_norm.'))
    keys.update(
        _esp_block('combine_l2_l3.1.', f'{head}level2_esp.', strided=False))
    keys['up_l2.0.weight'] = f'{head}level2_up.weight'
    keys.update(_norm_act('up_l2.1.', f'{head}level2_up_norm.'))
    keys['conv.conv.weight'] = f'{head}level1_fuse.conv.weight'
    keys.update(_norm_act('conv.', f'{head}level1_fuse.'))
    keys['classifier.weight'] = f'{head}conv_seg.weight'
    return keys


def infer_depths(state_dict: Mapping[str, Tensor]) -> Tuple[int, int]:
    """Depth multipliers (p, q): the number of ``encoder.level{2,3}.<i>``."""
    depths = []
    for level in (2, 3):
        pattern = re.compile(rf'encoder\.level{level}\.(\d+)\.')
        indices = [
            int(m.group(1)) for m in map(pattern.match, state_dict)
            if m is not None
        ]
        depths.append(max(indices, default=-1) + 1)
    return depths[0], depths[1]


# Input width of the last decoder CBR minus the number of classes -> the
# source file whose decoder has it and the mmvseg base config it loads into.
DECODER_VARIANTS = {
    19: ('train/Model.py', 'configs/_base_/models/espnet_p2-q8.py'),
    16: ('test/Model.py', 'configs/_base_/models/espnet_p2-q8_cityscapes.py'),
}


def decoder_variant(state_dict: Mapping[str, Tensor]) -> Tuple[str, str]:
    """The source decoder variant of an original ESPNet state dict.

    Args:
        state_dict (Mapping[str, Tensor]): Source keys, with
            ``conv.conv.weight`` (classes, level1 + classes, 3, 3) and
            ``classifier.weight`` (classes, classes, 2, 2).

    Returns:
        tuple[str, str]: The source file (``'train/Model.py'`` or
        ``'test/Model.py'``) and the mmvseg base config of its model.

    Raises:
        ValueError: If a key is missing or the level-1 width is neither 19
            nor 16.
    """
    for key in ('conv.conv.weight', 'classifier.weight'):
        if key not in state_dict:
            raise ValueError(f'missing key in the ESPNet checkpoint: {key!r}')
    classes = state_dict['classifier.weight'].shape[1]
    level1 = state_dict['conv.conv.weight'].shape[1] - classes
    if level1 not in DECODER_VARIANTS:
        raise ValueError(
            'conv.conv.weight takes {} channels for {} classes: neither '
            'train/Model.py (19 + classes) nor test/Model.py (16 + classes)'.
            format(level1 + classes, classes))
    return DECODER_VARIANTS[level1]


def convert_espnet(
        state_dict: Mapping[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename an original ESPNet state dict into mmvseg's model keys.

    Args:
        state_dict (Mapping[str, Tensor]): Parameters and BN buffers of
            ``train/Model.py`` or ``test/Model.py`` ``ESPNet(classes, p,
            q)``, e.g. the author's ``espnet_p_2_q_8_camvid.pth``;
            ``num_batches_tracked`` entries are optional.

    Returns:
        OrderedDict[str, Tensor]: ``backbone.*`` / ``decode_head.*`` keys for
        ``EncoderDecoder(backbone=ESPNetEncoder, decode_head=ESPNetHead)``,
        tensors unchanged, plus an int64 ``num_batches_tracked`` (0 where the
        source has none) for every BatchNorm, so that a strict load works.

    Raises:
        ValueError: If a key is unexpected or an expected key is missing.
    """
    key_map = espnet_key_map(*infer_depths(state_dict))
    tracked = {
        src.replace('running_mean', TRACKED):
        dst.replace('running_mean', TRACKED)
        for src, dst in key_map.items() if src.endswith('.running_mean')
    }
    for key in state_dict:
        if key not in key_map and key not in tracked:
            raise ValueError(
                f'unexpected key in the ESPNet checkpoint: {key!r}')
    for key in key_map:
        if key not in state_dict:
            raise ValueError(f'missing key in the ESPNet checkpoint: {key!r}')
    converted = OrderedDict(
        (dst, state_dict[src]) for src, dst in key_map.items())
    for src, dst in tracked.items():
        converted[dst] = state_dict.get(src, torch.tensor(0, dtype=torch.long))
    return converted


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an original ESPNet (sacmehta/ESPNet) checkpoint '
        'to mmvseg ESPNetEncoder + ESPNetHead keys.')
    parser.add_argument('src', help='path of the original checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    args = parser.parse_args()

    checkpoint = read_source_checkpoint(args.src)
    state_dict = convert_espnet(checkpoint)
    source_file, base_config = decoder_variant(checkpoint)
    p, q = infer_depths(checkpoint)
    num_classes = state_dict['decode_head.conv_seg.weight'].shape[1]
    meta = dict(
        source=f'sacmehta/ESPNet {source_file} ESPNet',
        source_file=osp.basename(args.src),
        p=p,
        q=q,
        num_classes=num_classes,
        base_config=base_config)
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'converted {len(checkpoint)} tensors ({source_file} decoder, '
          f'p={p}, q={q}, {num_classes} classes) to {args.dst}; '
          f'model: {base_config}')


if __name__ == '__main__':
    main()
