# Copyright (c) mmvseg contributors. All rights reserved.
import argparse
import sys

import pytest
import torch
from torch import nn
from torchvision.models import resnet18, resnet50

from mmvseg.models.backbones.crw_resnet import CRWResNet  # noqa: F401
from mmvseg.registry import MODELS

from script_loader import load_script

converter = load_script('tools', 'model_converters', 'crw2mmvseg.py')

CRW_CFG = dict(type='CRWResNet', depth=18, padding_mode='reflect')


def _crw_resnet18():
    """torchvision ResNet-18 modified like videowalk ``ResNet.modify(
    padding='reflect')`` (stride 1 in layer3/layer4, reflect padding), fc
    and avgpool removed, random BN statistics."""
    torch.manual_seed(0)
    net = resnet18(weights=None)
    for layer in (net.layer3, net.layer4):
        for m in layer.modules():
            if isinstance(m, nn.Conv2d):
                m.stride = (1, 1)
    for m in net.modules():
        if isinstance(m, nn.Conv2d) and sum(m.padding) > 0:
            m.padding_mode = 'reflect'
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.rand_like(m.weight) + 0.5
            m.bias.data = torch.randn_like(m.bias) * 0.1
            m.running_mean = torch.randn_like(m.running_mean) * 0.1
            m.running_var = torch.rand_like(m.running_var) + 0.5
            m.num_batches_tracked.fill_(123)
    net.fc, net.avgpool = None, None
    return net.eval()


def _videowalk_state_dict(net):
    """``ckpt['model']`` of videowalk ``code/train.py``: ``CRW.state_dict()``
    with the ResNet under ``encoder.model.`` (``From3D``), layer4 included,
    and the ``selfsim_fc`` head (``--head-depth 0``: Linear(512, 128))."""
    sd = {f'encoder.model.{k}': v for k, v in net.state_dict().items()}
    sd['selfsim_fc.0.weight'] = torch.randn(128, 512)
    sd['selfsim_fc.0.bias'] = torch.randn(128)
    return sd


def _features(net, x):
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    return net.layer3(net.layer2(net.layer1(x)))


def _load_backbone(converted, cfg=CRW_CFG):
    model = MODELS.build(cfg)
    assert all(k.startswith('backbone.') for k in converted)
    model.load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in converted.items()}, strict=True)
    return model.eval()


@pytest.fixture(scope='module')
def crw():
    net = _crw_resnet18()
    return net, _videowalk_state_dict(net)


def test_converted_crw_matches_the_original_encoder(crw):
    net, sd = crw
    converted = converter.convert_crw(sd)
    model = _load_backbone(converted)
    assert len(converted) == len(model.state_dict())
    assert not any(k.startswith('backbone.layer4') for k in converted)
    assert converted['backbone.layer3.1.conv2.weight'] is sd[
        'encoder.model.layer3.1.conv2.weight']
    assert converted['backbone.bn1.num_batches_tracked'] == 123
    x = torch.randn(2, 3, 64, 80)
    with torch.no_grad():
        (out, ) = model(x)
        expected = _features(net, x)
    assert out.shape == (2, 256, 8, 10)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_legacy_sequential_names_are_renamed(crw):
    _, sd = crw
    legacy = {
        'encoder.model.layer1.0.conv1.weight':
        'encoder.model.layer1.0.conv1.1.weight',
        'encoder.model.layer3.1.conv2.weight':
        'encoder.model.layer3.1.conv2.1.weight',
        'encoder.model.layer4.0.conv1.weight':
        'encoder.model.layer4.0.conv1.1.weight',
    }
    old = {legacy.get(k, k): v for k, v in sd.items()}
    assert converter.legacy_rename('layer1.1.conv2.1.weight') == \
        'layer1.1.conv2.weight'
    assert converter.legacy_rename('layer1.1.bn1.weight') == \
        'layer1.1.bn1.weight'
    renamed, reference = converter.convert_crw(old), converter.convert_crw(sd)
    assert list(renamed) == list(reference)
    assert all(renamed[k] is reference[k] for k in reference)
    both = dict(sd)
    both['encoder.model.layer1.0.conv1.1.weight'] = torch.zeros(64, 64, 3, 3)
    with pytest.raises(
            ValueError, match=r'two keys.*layer1\.0\.conv1\.weight'):
        converter.convert_crw(both)


def test_missing_num_batches_tracked_is_zero(crw):
    _, sd = crw
    sd = {k: v for k, v in sd.items() if not k.endswith('num_batches_tracked')}
    converted = converter.convert_crw(sd)
    assert converted['backbone.layer2.0.downsample.1.num_batches_tracked'] \
        == 0
    _load_backbone(converted)


def test_missing_key_raises(crw):
    _, sd = crw
    sd = dict(sd)
    del sd['encoder.model.layer2.0.downsample.1.running_var']
    with pytest.raises(
            ValueError,
            match=r'1 missing keys.*layer2\.0\.downsample\.1\.running_var'):
        converter.convert_crw(sd)


def test_unexpected_encoder_key_raises(crw):
    _, sd = crw
    sd = dict(sd)
    sd['encoder.model.layer3.0.conv3.weight'] = torch.zeros(256, 256, 1, 1)
    with pytest.raises(ValueError,
                       match=r'1 unexpected keys.*layer3\.0\.conv3\.weight'):
        converter.convert_crw(sd)


def test_wrong_prefix_and_shape_raise(crw):
    _, sd = crw
    wrapped = {f'module.{k}': v for k, v in sd.items()}
    with pytest.raises(
            ValueError, match="no key starts with 'encoder.model.'"):
        converter.convert_crw(wrapped)
    wrong = dict(sd)
    wrong['encoder.model.bn1.bias'] = torch.zeros(32)
    with pytest.raises(ValueError, match=r'wrong shape.*bn1\.bias \(32,\)'):
        converter.convert_crw(wrong)


def test_resnet50_under_a_prefix():
    torch.manual_seed(0)
    state = resnet50(weights=None).state_dict()
    sd = {f'module.encoder_q.{k}': v for k, v in state.items()}
    sd['module.encoder_q.fc.2.weight'] = torch.zeros(128, 2048)
    sd['module.encoder_k.conv1.weight'] = torch.zeros(64, 3, 7, 7)
    sd['module.queue'] = torch.zeros(128, 16)
    converted = converter.convert_crw(sd, depth=50, prefix='module.encoder_q.')
    _load_backbone(converted, dict(type='CRWResNet', depth=50))
    assert converted['backbone.layer3.5.conv3.weight'] is state[
        'layer3.5.conv3.weight']
    with pytest.raises(ValueError, match='unexpected keys'):
        converter.convert_crw(sd, depth=18, prefix='module.encoder_q.')


def test_main_needs_trusted_and_writes_meta(crw, tmp_path, monkeypatch):
    _, sd = crw
    src = tmp_path / 'pretrained.pth'
    dst = tmp_path / 'out' / 'crw_r18.pth'
    torch.save({
        'model': sd,
        'epoch': 3,
        'args': argparse.Namespace(model_type='scratch', temp=0.05)
    }, src)
    monkeypatch.setattr(sys, 'argv', ['crw2mmvseg', str(src), str(dst)])
    with pytest.raises(ValueError, match='--trusted'):
        converter.main()
    monkeypatch.setattr(sys, 'argv',
                        ['crw2mmvseg', '--trusted',
                         str(src), str(dst)])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta'] == dict(
        source='ajabri/videowalk code/model.py CRW.encoder '
        '(code/resnet.py ResNet-18, model type scratch)',
        source_file='pretrained.pth',
        depth=18,
        prefix='encoder.model.',
        padding_mode='reflect',
        backbone=CRW_CFG)
    model = _load_backbone(saved['state_dict'], saved['meta']['backbone'])
    torch.testing.assert_close(model.conv1.weight,
                               sd['encoder.model.conv1.weight'])


def test_main_names_the_file_on_a_bad_checkpoint(crw, tmp_path, monkeypatch):
    _, sd = crw
    src = tmp_path / 'wrapped.pth'
    torch.save({'model': {f'module.{k}': v for k, v in sd.items()}}, src)
    monkeypatch.setattr(
        sys, 'argv', ['crw2mmvseg', str(src),
                      str(tmp_path / 'out.pth')])
    with pytest.raises(ValueError, match=r'wrapped\.pth: no key starts with'):
        converter.main()
    assert not (tmp_path / 'out.pth').exists()
