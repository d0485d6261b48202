# Copyright (c) mmvseg contributors. All rights reserved.
"""Convert an ESPNetv2 segmentation checkpoint of sacmehta/EdgeNets to
mmvseg's ``ESPNetV2`` backbone + ``ESPNetV2Head``.

Source layout: ``model/segmentation/espnetv2.py`` ``ESPNetv2Segmentation``
(base network ``base_net`` = ``EESPNet`` levels 1-4; decoder ``bu_dec_l*``,
``merge_enc_dec_l*``, ``bu_br_l*``; Mehta et al., CVPR 2019), e.g.
``espnetv2_s_2.0_city_1024x512.pth``. Target: ``EncoderDecoder`` of
``configs/_base_/models/espnetv2.py`` (s = 2.0; s = 1.0 in
``configs/espnetv2/espnetv2_s1.0_cityscapes-1024x512.py``). The conversion is
a pure rename: every source tensor arrives unchanged, except the three
``base_net.level{2,3,4}_0.eesp.module_act.weight`` PReLUs, which the source
stores but never uses (its down-samplers return the strided EESP output
before that activation) and which mmvseg's modules do not have. Any other
missing or unexpected key is an error that names it. The scale s is read
from the level widths, the number of classes from the classifier.

Usage::

    python tools/model_converters/espnetv2_2mmvseg.py \\
        espnetv2_s_2.0_city_1024x512.pth \\
        checkpoints/espnetv2_s2.0_cityscapes-1024x512.pth
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, Mapping, Tuple

from torch import Tensor

from mmvseg.models.backbones.espnetv2 import ESPNETV2_WIDTHS
from mmvseg.utils.checkpoint_conversion import (read_source_checkpoint,
                                                rename_strict,
                                                save_converted_checkpoint)

BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var',
               'num_batches_tracked')
# EESP units after the level-3 and level-4 down-samplers (``rep_layers``).
LEVEL_DEPTHS = {3: 3, 4: 7}
# Branches of every EESP unit (``espnetv2_config.py`` ``branches``).
BRANCHES = 4
#: Source keys that are dropped: the unused activation of each
#: down-sampler's strided EESP.
UNUSED_KEYS = tuple(f'base_net.level{level}_0.eesp.module_act.weight'
                    for level in (2, 3, 4))


def _conv_norm(src_conv: str, src_bn: str, dst: str) -> Dict[str, str]:
    """Keys of a conv + BN pair -> an mmcv ``ConvModule`` at ``dst``."""
    keys = {f'{src_conv}weight': f'{dst}conv.weight'}
    keys.update({f'{src_bn}{s}': f'{dst}bn.{s}' for s in BN_SUFFIXES})
    return keys


def _norm_act(src_bn: str, src_act: str, dst: str) -> Dict[str, str]:
    """Keys of a BN + PReLU pair -> ``bn`` / ``activate`` at ``dst``."""
    keys = {f'{src_bn}{s}': f'{dst}bn.{s}' for s in BN_SUFFIXES}
    keys[f'{src_act}weight'] = f'{dst}activate.weight'
    return keys


def _cbr(src: str, dst: str, sequential: bool) -> Dict[str, str]:
    """Keys of a conv-BN-PReLU -> ``ConvModule``.

    ``sequential`` selects ``nn_layers/cnn_utils.py``'s ``cbr.{0,1,2}``
    layout; otherwise ``nn_layers/espnet_utils.py``'s ``conv/bn/act``.
    """
    if sequential:
        src_conv, src_bn, src_act = (f'{src}cbr.{i}.' for i in range(3))
    else:
        src_conv, src_bn, src_act = (f'{src}{name}.'
                                     for name in ('conv', 'bn', 'act'))
    keys = _conv_norm(src_conv, src_bn, dst)
    keys[f'{src_act}weight'] = f'{dst}activate.weight'
    return keys


def _eesp(src: str, dst: str, strided: bool) -> Dict[str, str]:
    """Keys of an ``EESP`` -> ``EESPBlock`` (without the unused activation
    of a strided one)."""
    keys = _cbr(f'{src}proj_1x1.', f'{dst}reduce.', sequential=False)
    for i in range(BRANCHES):
        keys[f'{src}spp_dw.{i}.conv.weight'] = f'{dst}branches.{i}.weight'
    keys.update(
        _norm_act(f'{src}br_after_cat.bn.', f'{src}br_after_cat.act.',
                  f'{dst}merge_norm.'))
    keys.update(
        _conv_norm(f'{src}conv_1x1_exp.conv.', f'{src}conv_1x1_exp.bn.',
                   f'{dst}expand.'))
    if not strided:
        keys[f'{src}module_act.weight'] = f'{dst}activate.weight'
    return keys


def _downsampler(src: str, dst: str) -> Dict[str, str]:
    """Keys of a ``DownSampler`` -> ``EESPDownsampler``."""
    keys = _eesp(f'{src}eesp.', f'{dst}eesp.', strided=True)
    keys.update(
        _cbr(f'{src}inp_reinf.0.', f'{dst}reinforce.0.', sequential=False))
    keys.update(
        _conv_norm(f'{src}inp_reinf.1.conv.', f'{src}inp_reinf.1.bn.',
                   f'{dst}reinforce.1.'))
    keys[f'{src}act.weight'] = f'{dst}activate.weight'
    return keys


def _pyramid_pool(src: str, dst: str, last: bool) -> Dict[str, str]:
    """Keys of an ``EfficientPyrPool`` -> ``EfficientPyrPool``; the last
    one's output convolution (with bias) becomes ``conv_seg``."""
    keys = _cbr(f'{src}projection_layer.', f'{dst}project.', sequential=True)
    for i in range(5):
        keys[f'{src}stages.{i}.weight'] = f'{dst}stages.{i}.weight'
    keys.update(
        _norm_act(f'{src}merge_layer.0.br.0.', f'{src}merge_layer.0.br.1.',
                  f'{dst}merge_norm.'))
    keys.update(
        _cbr(f'{src}merge_layer.2.', f'{dst}merge.', sequential=True))
    if last:
        keys[f'{src}merge_layer.3.weight'] = 'decode_head.conv_seg.weight'
        keys[f'{src}merge_layer.3.bias'] = 'decode_head.conv_seg.bias'
    else:
        keys.update(
            _norm_act(f'{src}br.br.0.', f'{src}br.br.1.', f'{dst}out.'))
        keys[f'{src}merge_layer.3.weight'] = f'{dst}out.conv.weight'
    return keys


def espnetv2_key_map() -> Dict[str, str]:
    """Every used key of the source ``ESPNetv2Segmentation`` and its mmvseg
    name (the same for every scale s and number of classes).

    Returns:
        dict[str, str]: Source key -> target key; 523 entries (the 526
        tensors of the authors' files less ``UNUSED_KEYS``).
    """
    base, bb, head = 'base_net.', 'backbone.', 'decode_head.'
    keys = _cbr(f'{base}level1.', f'{bb}level1.', sequential=False)
    for level in (2, 3, 4):
        keys.update(
            _downsampler(f'{base}level{level}_0.', f'{bb}level{level}_down.'))
        for i in range(LEVEL_DEPTHS.get(level, 0)):
            keys.update(
                _eesp(
                    f'{base}level{level}.{i}.',
                    f'{bb}level{level}.{i}.',
                    strided=False))
    for i in range(4):
        keys.update(
            _pyramid_pool(
                f'bu_dec_l{i + 1}.', f'{head}pyramids.{i}.', last=i == 3))
    for i, level in enumerate((2, 3, 4)):
        src = f'merge_enc_dec_l{level}.'
        keys[f'{src}wt_layer.1.weight'] = f'{head}skips.{i}.gate.weight'
        keys.update(
            _cbr(
                f'{src}expansion_layer.',
                f'{head}skips.{i}.expand.',
                sequential=True))
        keys.update(
            _norm_act(f'bu_br_l{level}.0.', f'bu_br_l{level}.1.',
                      f'{head}fuse_norms.{i}.'))
    return keys


def infer_scale(state_dict: Mapping[str, Tensor]) -> float:
    """The width scale s of a source state dict, from its level widths.

    Raises:
        ValueError: If a width key is missing or the widths match no scale
            of ``ESPNETV2_WIDTHS``.
    """
    width_keys = ['base_net.level1.act.weight'] + [
        f'base_net.level{level}_0.act.weight' for level in (2, 3, 4)
    ]
    for key in width_keys:
        if key not in state_dict:
            raise ValueError(f'missing key in the ESPNetv2 checkpoint: '
                             f'{key!r}')
    widths = tuple(state_dict[key].numel() for key in width_keys)
    for scale, scale_widths in ESPNETV2_WIDTHS.items():
        if scale_widths == widths:
            return scale
    raise ValueError(f'level widths {widths} match no ESPNetv2 scale '
                     f'({ESPNETV2_WIDTHS})')


def convert_espnetv2(
        state_dict: Mapping[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename a source ESPNetv2 segmentation state dict into mmvseg keys.

    Args:
        state_dict (Mapping[str, Tensor]): Parameters and BN buffers
            (with ``num_batches_tracked``) of ``ESPNetv2Segmentation``.

    Returns:
        OrderedDict[str, Tensor]: ``backbone.*`` / ``decode_head.*`` keys for
        ``EncoderDecoder(backbone=ESPNetV2, decode_head=ESPNetV2Head)``,
        tensors unchanged.

    Raises:
        ValueError: If a key other than ``UNUSED_KEYS`` is unexpected, or an
            expected key is missing (the message names them).
    """
    return rename_strict(
        state_dict,
        espnetv2_key_map(),
        ignored=UNUSED_KEYS,
        source='ESPNetv2 checkpoint')


def describe(state_dict: Mapping[str, Tensor]) -> Tuple[float, int]:
    """(scale s, number of classes) of a source state dict."""
    return (infer_scale(state_dict),
            state_dict['bu_dec_l4.merge_layer.3.weight'].shape[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description='Convert an ESPNetv2 segmentation checkpoint '
        '(sacmehta/EdgeNets) to mmvseg ESPNetV2 + ESPNetV2Head keys.')
    parser.add_argument('src', help='path of the original checkpoint')
    parser.add_argument('dst', help='path of the converted checkpoint')
    args = parser.parse_args()

    checkpoint = read_source_checkpoint(args.src)
    state_dict = convert_espnetv2(checkpoint)
    scale, num_classes = describe(checkpoint)
    meta = dict(
        source='sacmehta/EdgeNets model/segmentation/espnetv2.py '
        'ESPNetv2Segmentation',
        source_file=osp.basename(args.src),
        scale=scale,
        num_classes=num_classes)
    save_converted_checkpoint(state_dict, args.dst, meta)
    print(f'converted {len(checkpoint)} tensors (s={scale}, {num_classes} '
          f'classes; dropped the unused {", ".join(UNUSED_KEYS)}) to '
          f'{args.dst}')


if __name__ == '__main__':
    main()
