# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
from torch import nn
from torchvision.models import resnet18, resnet50

from mmvseg.models.backbones.crw_resnet import CRWResNet
from mmvseg.registry import MODELS

from script_loader import load_script

converter = load_script('tools', 'model_converters', 'crw2mmvseg.py')


def _conv_out(n, kernel, stride, padding):
    return (n + 2 * padding - kernel) // stride + 1


def _expected_grid(n):
    """Stem conv 7x7/2 (pad 3), max pool 3x3/2 (pad 1), layer2 3x3/2 (pad
    1); layer1 and layer3 keep the size."""
    n = _conv_out(n, 7, 2, 3)
    n = _conv_out(n, 3, 2, 1)
    return _conv_out(n, 3, 2, 1)


def _crw_torchvision(build, reflect):
    """torchvision ResNet modified by hand as videowalk ``ResNet.modify``:
    stride 1 in layer3/layer4, optional reflect padding, random BN stats."""
    net = build(weights=None)
    for layer in (net.layer3, net.layer4):
        for m in layer.modules():
            if isinstance(m, nn.Conv2d):
                m.stride = (1, 1)
    for m in net.modules():
        if reflect and isinstance(m, nn.Conv2d) and sum(m.padding) > 0:
            m.padding_mode = 'reflect'
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.rand_like(m.weight) + 0.5
            m.bias.data = torch.randn_like(m.bias) * 0.1
            m.running_mean = torch.randn_like(m.running_mean) * 0.1
            m.running_var = torch.rand_like(m.running_var) + 0.5
    return net.eval()


def _run_to_layer3(net, x):
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    return net.layer3(net.layer2(net.layer1(x)))


def _backbone_state(net, depth, prefix):
    """``net``'s weights under ``prefix``, through the converter's mapping,
    as ``CRWResNet`` keys."""
    sd = {prefix + k: v for k, v in net.state_dict().items()}
    converted = converter.convert_crw(sd, depth=depth, prefix=prefix)
    return {k[len('backbone.'):]: v for k, v in converted.items()}


@pytest.mark.parametrize('depth, build, padding_mode, prefix, batch', [
    (18, resnet18, 'reflect', 'encoder.model.', 2),
    (50, resnet50, 'zeros', '', 1),
])
def test_matches_modified_torchvision(depth, build, padding_mode, prefix,
                                      batch):
    torch.manual_seed(0)
    reference = _crw_torchvision(build, reflect=padding_mode == 'reflect')
    model = CRWResNet(depth=depth, padding_mode=padding_mode)
    model.load_state_dict(_backbone_state(reference, depth, prefix))
    model.eval()
    x = torch.randn(batch, 3, 64, 80)
    with torch.no_grad():
        (out, ) = model(x)
        expected = _run_to_layer3(reference, x)
    assert out.shape == (batch, 256 if depth == 18 else 1024, 8, 10)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    if depth == 18:
        # the padding matters: zero padding with the same weights differs
        model.apply(lambda m: setattr(m, 'padding_mode', 'zeros')
                    if isinstance(m, nn.Conv2d) else None)
        with torch.no_grad():
            (out_zeros, ) = model(x)
        assert (out_zeros - out).abs().max() > 1e-3


def test_reflect_padding_is_set_on_padded_convs_only():
    model = MODELS.build(
        dict(type='CRWResNet', depth=18, padding_mode='reflect'))
    convs = {
        n: m
        for n, m in model.named_modules() if isinstance(m, nn.Conv2d)
    }
    reflect = {n for n, m in convs.items() if m.padding_mode == 'reflect'}
    assert reflect == {n for n, m in convs.items() if m.kernel_size != (1, 1)}
    # stem + 3 stages x 2 blocks x 2 convs; 1x1 downsample convs stay zeros
    assert len(reflect) == 13
    assert convs['layer2.0.downsample.0'].padding_mode == 'zeros'
    assert convs['conv1'].padding == (3, 3)
    assert model.maxpool.padding == 1
    assert all(m.padding_mode == 'zeros'
               for m in CRWResNet(depth=18).modules()
               if isinstance(m, nn.Conv2d))


@pytest.mark.parametrize('depth, channels', [(18, 256), (50, 1024)])
def test_structure_stops_at_layer3_with_stride_one(depth, channels):
    model = CRWResNet(depth=depth)
    assert model.res_layers == ['layer1', 'layer2', 'layer3']
    assert not hasattr(model, 'layer4')
    assert model.feat_dim == channels
    strides = {
        n: m.stride
        for n, m in model.named_modules() if isinstance(m, nn.Conv2d)
    }
    assert all(s == (1, 1) for n, s in strides.items()
               if n.startswith(('layer1', 'layer3')))
    assert strides['layer2.0.downsample.0'] == (2, 2)
    assert all(m.dilation == (1, 1) for m in model.modules()
               if isinstance(m, nn.Conv2d))


def test_grid_follows_conv_arithmetic():
    model = CRWResNet(depth=18, padding_mode='reflect').eval()
    for size in ((64, 72), (50, 66), (33, 17)):
        with torch.no_grad():
            (out, ) = model(torch.randn(1, 3, *size))
        assert out.shape == (1, 256, *map(_expected_grid, size))


def test_grid_sizes_of_the_davis_inputs():
    assert (_expected_grid(64), _expected_grid(72)) == (8, 9)
    with torch.device('meta'):
        models = [CRWResNet(18, 'reflect'), CRWResNet(50)]
    for model in models:
        for size, grid in (((480, 854), (60, 107)), ((480, 880), (60, 110)),
                           ((480, 910), (60, 114))):
            assert tuple(map(_expected_grid, size)) == grid
            (out, ) = model.eval()(torch.empty(1, 3, *size, device='meta'))
            assert out.shape[2:] == grid
            assert out.shape[1] == model.feat_dim


def test_out_indices_and_norm_eval():
    model = CRWResNet(depth=18, out_indices=(0, 1, 2))
    model.train()
    assert model.training
    assert all(not m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))
    outs = model(torch.randn(1, 3, 32, 48))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 8, 12), (1, 128, 4, 6),
                                              (1, 256, 4, 6)]
    model = CRWResNet(depth=18, norm_eval=False).train()
    assert all(m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize('kwargs, match', [
    (dict(depth=26), 'depth'),
    (dict(padding_mode='symmetric'), 'padding_mode'),
    (dict(out_indices=(3, )), 'out_indices'),
    (dict(out_indices=()), 'out_indices'),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CRWResNet(**kwargs)
