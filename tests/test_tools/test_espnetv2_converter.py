# Copyright (c) mmvseg contributors. All rights reserved.
import math
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine import Config
from script_loader import REPO_ROOT, load_script

from mmvseg.registry import MODELS

converter = load_script('tools', 'model_converters', 'espnetv2_2mmvseg.py')

WIDTHS = {2.0: (32, 128, 256, 512), 1.0: (32, 64, 128, 256)}


def _original_state_dict(scale=2.0, classes=20):
    """Random tensors in the key layout of sacmehta/EdgeNets
    ``ESPNetv2Segmentation(args, classes, dataset='city')`` as the weights
    README describes it (base network ``nn_layers/espnet_utils.py`` blocks
    with ``conv/bn/act`` children, decoder ``nn_layers/cnn_utils.py`` blocks
    as ``cbr``/``br`` sequentials)."""
    sd = OrderedDict()
    proj = min(classes // 2, 16)

    def conv(key, cout, cin, k, groups=1):
        sd[key] = torch.randn(cout, cin // groups, k, k) * 0.2

    def bn(prefix, c):
        sd[prefix + 'weight'] = torch.rand(c) + 0.5
        sd[prefix + 'bias'] = torch.randn(c) * 0.1
        sd[prefix + 'running_mean'] = torch.randn(c) * 0.1
        sd[prefix + 'running_var'] = torch.rand(c) + 0.5
        sd[prefix + 'num_batches_tracked'] = torch.tensor(7)

    def prelu(key, c):
        sd[key] = torch.rand(c) * 0.5

    def cbr(prefix, cin, cout, k, groups=1):  # espnet_utils.CBR
        conv(prefix + 'conv.weight', cout, cin, k, groups)
        bn(prefix + 'bn.', cout)
        prelu(prefix + 'act.weight', cout)

    def seq_cbr(prefix, cin, cout, k, groups=1):  # cnn_utils.CBR
        conv(prefix + 'cbr.0.weight', cout, cin, k, groups)
        bn(prefix + 'cbr.1.', cout)
        prelu(prefix + 'cbr.2.weight', cout)

    def eesp(prefix, cin, cout):
        n = cout // 4
        cbr(prefix + 'proj_1x1.', cin, n, 1, groups=4)
        for i in range(4):
            conv(f'{prefix}spp_dw.{i}.conv.weight', n, n, 3, groups=n)
        bn(prefix + 'br_after_cat.bn.', cout)
        prelu(prefix + 'br_after_cat.act.weight', cout)
        conv(prefix + 'conv_1x1_exp.conv.weight', cout, cout, 1, groups=4)
        bn(prefix + 'conv_1x1_exp.bn.', cout)
        prelu(prefix + 'module_act.weight', cout)

    def down(prefix, cin, cout):
        eesp(prefix + 'eesp.', cin, cout - cin)
        cbr(prefix + 'inp_reinf.0.', 3, 3, 3)
        conv(prefix + 'inp_reinf.1.conv.weight', cout, 3, 1)
        bn(prefix + 'inp_reinf.1.bn.', cout)
        prelu(prefix + 'act.weight', cout)

    def pyramid(prefix, cin, cout, last):
        seq_cbr(prefix + 'projection_layer.', cin, proj, 1)
        for i in range(5):
            conv(f'{prefix}stages.{i}.weight', proj, proj, 3, groups=proj)
        bn(prefix + 'merge_layer.0.br.0.', 5 * proj)
        prelu(prefix + 'merge_layer.0.br.1.weight', 5 * proj)
        seq_cbr(prefix + 'merge_layer.2.', 5 * proj, proj, 3, groups=proj)
        conv(prefix + 'merge_layer.3.weight', cout, proj, 1)
        if last:
            sd[prefix + 'merge_layer.3.bias'] = torch.randn(cout)
        else:
            bn(prefix + 'br.br.0.', cout)
            prelu(prefix + 'br.br.1.weight', cout)

    w = WIDTHS[scale]
    cbr('base_net.level1.', 3, w[0], 3)
    down('base_net.level2_0.', w[0], w[1])
    down('base_net.level3_0.', w[1], w[2])
    for i in range(3):
        eesp(f'base_net.level3.{i}.', w[2], w[2])
    down('base_net.level4_0.', w[2], w[3])
    for i in range(7):
        eesp(f'base_net.level4.{i}.', w[3], w[3])
    dec = (64, 48, 32, classes)
    pyramid('bu_dec_l1.', w[3], dec[0], last=False)
    for i in range(3):
        pyramid(f'bu_dec_l{i + 2}.', dec[i], dec[i + 1], last=i == 2)
    for level, cin, cout in ((2, w[2], 64), (3, w[1], 48), (4, w[0], 32)):
        conv(f'merge_enc_dec_l{level}.wt_layer.1.weight', cout, cin, 1)
        seq_cbr(f'merge_enc_dec_l{level}.expansion_layer.', cin, cout, 3,
                math.gcd(cin, cout))
    for level, c in ((2, 64), (3, 48), (4, 32)):
        bn(f'bu_br_l{level}.0.', c)
        prelu(f'bu_br_l{level}.1.weight', c)
    return sd


def _model(scale):
    name = f'espnetv2_s{scale}_cityscapes-1024x512.py'
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'espnetv2', name))
    return MODELS.build(cfg.model.image_model)


@pytest.mark.parametrize('scale, values', [(2.0, 814284), (1.0, 247212)])
def test_original_layout_matches_the_readme_totals(scale, values):
    sd = _original_state_dict(scale)
    tracked = [k for k in sd if k.endswith('num_batches_tracked')]
    assert len(sd) == 526 and len(tracked) == 67
    assert sum(sd[k].numel() for k in sd if k not in tracked) == values
    assert converter.infer_scale(sd) == scale
    assert len(converter.espnetv2_key_map()) == 526 - 3


@pytest.mark.parametrize('scale', [2.0, 1.0])
def test_converted_weights_load_strictly(scale):
    sd = _original_state_dict(scale)
    converted = converter.convert_espnetv2(sd)
    model = _model(scale)
    model.load_state_dict(converted, strict=True)
    assert set(converted) == set(model.state_dict())
    # every used source tensor arrives unchanged at exactly one target
    used = {k: t for k, t in sd.items() if k not in converter.UNUSED_KEYS}
    assert len(converted) == len(used) == 523
    source_ids = {id(t) for t in used.values()}
    assert source_ids == {id(t) for t in converted.values()}
    model_sd = model.state_dict()
    torch.testing.assert_close(model_sd['decode_head.conv_seg.bias'],
                               sd['bu_dec_l4.merge_layer.3.bias'])
    torch.testing.assert_close(
        model_sd['backbone.level4.6.activate.weight'],
        sd['base_net.level4.6.module_act.weight'])
    torch.testing.assert_close(
        model_sd['decode_head.pyramids.0.merge_norm.bn.running_var'],
        sd['bu_dec_l1.merge_layer.0.br.0.running_var'])
    assert model_sd['backbone.level1.bn.num_batches_tracked'] == 7


def test_unused_activations_are_the_only_dropped_keys():
    assert converter.UNUSED_KEYS == (
        'base_net.level2_0.eesp.module_act.weight',
        'base_net.level3_0.eesp.module_act.weight',
        'base_net.level4_0.eesp.module_act.weight')
    # the model has 480 (s = 2.0) parameters less than the source module
    sd = _original_state_dict(2.0)
    assert sum(sd[k].numel() for k in converter.UNUSED_KEYS) == 480


def test_unexpected_key_raises_naming_it():
    sd = _original_state_dict(1.0)
    sd['base_net.level1.conv.bias'] = torch.zeros(32)
    with pytest.raises(ValueError, match=r'unexpected.*level1\.conv\.bias'):
        converter.convert_espnetv2(sd)


def test_missing_key_raises_naming_it():
    sd = _original_state_dict(1.0)
    del sd['bu_dec_l3.stages.4.weight']
    with pytest.raises(ValueError, match=r'missing.*bu_dec_l3\.stages\.4'):
        converter.convert_espnetv2(sd)


def test_unknown_widths_raise():
    sd = _original_state_dict(1.0)
    sd['base_net.level1.act.weight'] = torch.zeros(24)
    with pytest.raises(ValueError, match=r'\(24, 64, 128, 256\)'):
        converter.infer_scale(sd)


def test_main_saves_state_dict_and_meta(tmp_path, monkeypatch):
    src = tmp_path / 'original.pth'
    dst = tmp_path / 'out' / 'converted.pth'
    torch.save(_original_state_dict(1.0), src)
    monkeypatch.setattr(sys, 'argv', ['espnetv2_2mmvseg', str(src), str(dst)])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    assert saved['meta']['scale'] == 1.0
    assert saved['meta']['num_classes'] == 20
    _model(1.0).load_state_dict(saved['state_dict'], strict=True)
