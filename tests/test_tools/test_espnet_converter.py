# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine import Config
from script_loader import REPO_ROOT, load_script

from mmvseg.registry import MODELS

converter = load_script('tools', 'model_converters', 'espnet2mmvseg.py')


def _original_state_dict(p, q, classes, level1=19):
    """Random tensors in the key layout of ``sacmehta/ESPNet``
    ``ESPNet(classes, p, q)`` of ``train/Model.py`` (``level1=19``) or
    ``test/Model.py`` (``level1=16``; see the weights README)."""
    sd = OrderedDict()

    def bn(prefix, c):
        sd[prefix + 'weight'] = torch.rand(c) + 0.5
        sd[prefix + 'bias'] = torch.randn(c)
        sd[prefix + 'running_mean'] = torch.randn(c)
        sd[prefix + 'running_var'] = torch.rand(c) + 0.5

    def br(prefix, c):
        bn(prefix + 'bn.', c)
        sd[prefix + 'act.weight'] = torch.rand(c)

    def esp(prefix, cin, cout, strided):
        n = cout // 5
        k = 3 if strided else 1
        sd[prefix + 'c1.conv.weight'] = torch.randn(n, cin, k, k) * 0.1
        for d in (1, 2, 4, 8, 16):
            c = cout - 4 * n if d == 1 else n
            sd[f'{prefix}d{d}.conv.weight'] = torch.randn(c, n, 3, 3) * 0.1
        if strided:
            br(prefix, cout)
        else:
            br(prefix + 'bn.', cout)

    sd['encoder.level1.conv.weight'] = torch.randn(16, 3, 3, 3)
    br('encoder.level1.', 16)
    br('encoder.b1.', 19)
    esp('encoder.level2_0.', 19, 64, True)
    for i in range(p):
        esp(f'encoder.level2.{i}.', 64, 64, False)
    br('encoder.b2.', 131)
    esp('encoder.level3_0.', 131, 128, True)
    for i in range(q):
        esp(f'encoder.level3.{i}.', 128, 128, False)
    br('encoder.b3.', 256)
    sd['encoder.classifier.conv.weight'] = torch.randn(classes, 256, 1, 1)
    sd['level3_C.conv.weight'] = torch.randn(classes, 131, 1, 1)
    bn('br.', classes)
    sd['conv.conv.weight'] = torch.randn(classes, level1 + classes, 3, 3)
    br('conv.', classes)
    sd['up_l3.0.weight'] = torch.randn(classes, classes, 2, 2)
    br('combine_l2_l3.0.', 2 * classes)
    esp('combine_l2_l3.1.', 2 * classes, classes, False)
    sd['up_l2.0.weight'] = torch.randn(classes, classes, 2, 2)
    br('up_l2.1.', classes)
    sd['classifier.weight'] = torch.randn(classes, classes, 2, 2)
    return sd


def _model(p, q, classes, base='espnet_p2-q8.py'):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models', base))
    cfg.model.backbone.update(p=p, q=q)
    cfg.model.decode_head.update(channels=classes, num_classes=classes)
    return MODELS.build(cfg.model)


def test_original_layout_matches_the_readme_totals():
    sd = _original_state_dict(2, 8, 12)
    assert len(sd) == 189
    assert sum(t.numel() for t in sd.values()) == 358193
    assert converter.infer_depths(sd) == (2, 8)


def test_cityscapes_layout_matches_the_readme_totals():
    sd = _original_state_dict(2, 8, 20, level1=16)
    assert len(sd) == 189
    assert sum(t.numel() for t in sd.values()) == 368341
    assert converter.decoder_variant(sd) == (
        'test/Model.py', 'configs/_base_/models/espnet_p2-q8_cityscapes.py')
    assert converter.decoder_variant(_original_state_dict(1, 1, 12)) == (
        'train/Model.py', 'configs/_base_/models/espnet_p2-q8.py')


def test_unknown_decoder_width_raises():
    sd = _original_state_dict(1, 1, 5, level1=17)
    with pytest.raises(ValueError, match=r'22 channels for 5 classes'):
        converter.decoder_variant(sd)


def test_cityscapes_weights_load_into_the_cityscapes_base():
    sd = _original_state_dict(1, 2, 20, level1=16)
    model = _model(1, 2, 20, base='espnet_p2-q8_cityscapes.py')
    model.load_state_dict(converter.convert_espnet(sd), strict=True)
    torch.testing.assert_close(
        model.state_dict()['decode_head.level1_fuse.conv.weight'],
        sd['conv.conv.weight'])
    with torch.no_grad():
        assert model.eval()._forward(torch.randn(1, 3, 32, 48)).shape == (
            1, 20, 32, 48)


@pytest.mark.parametrize('p, q, classes', [(1, 2, 5), (2, 3, 12)])
def test_converted_weights_load_strictly(p, q, classes):
    sd = _original_state_dict(p, q, classes)
    converted = converter.convert_espnet(sd)
    model = _model(p, q, classes)
    model.load_state_dict(converted, strict=True)
    model_sd = model.state_dict()
    assert set(converted) == set(model_sd)
    assert all(k.startswith(('backbone.', 'decode_head.')) for k in converted)
    tracked = [k for k in converted if k.endswith('num_batches_tracked')]
    assert len(tracked) == 11 + p + q  # one per BatchNorm (21 for p=2, q=8)
    assert all(converted[k].item() == 0 for k in tracked)
    # every source tensor arrives unchanged, each at exactly one target
    source_ids = {id(t) for t in sd.values()}
    assert len(converted) - len(tracked) == len(sd)
    assert source_ids == {
        id(t)
        for k, t in converted.items() if k not in tracked
    }
    torch.testing.assert_close(model_sd['decode_head.conv_seg.weight'],
                               sd['classifier.weight'])
    torch.testing.assert_close(
        model_sd['backbone.level2.0.norm_act.activate.weight'],
        sd['encoder.level2.0.bn.act.weight'])


def test_existing_num_batches_tracked_is_kept():
    sd = _original_state_dict(1, 1, 5)
    sd['br.num_batches_tracked'] = torch.tensor(7)
    converted = converter.convert_espnet(sd)
    assert converted['decode_head.level3_proj.bn.num_batches_tracked'] == 7


def test_unexpected_key_raises():
    sd = _original_state_dict(1, 1, 5)
    sd['encoder.level1.conv.bias'] = torch.zeros(16)
    with pytest.raises(ValueError, match=r"unexpected.*level1\.conv\.bias"):
        converter.convert_espnet(sd)


def test_missing_key_raises():
    sd = _original_state_dict(1, 2, 5)
    del sd['encoder.level3.1.d8.conv.weight']
    with pytest.raises(ValueError, match=r"missing.*level3\.1\.d8"):
        converter.convert_espnet(sd)


def test_main_saves_state_dict_and_meta(tmp_path, monkeypatch):
    src = tmp_path / 'original.pth'
    dst = tmp_path / 'out' / 'converted.pth'
    torch.save({'state_dict': _original_state_dict(1, 2, 5)}, src)
    monkeypatch.setattr(sys, 'argv', ['espnet2mmvseg', str(src), str(dst)])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    assert saved['meta']['p'] == 1 and saved['meta']['q'] == 2
    assert saved['meta']['num_classes'] == 5
    assert saved['meta']['base_config'] == (
        'configs/_base_/models/espnet_p2-q8.py')
    _model(1, 2, 5).load_state_dict(saved['state_dict'], strict=True)
