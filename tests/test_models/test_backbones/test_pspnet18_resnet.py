# Copyright (c) mmvseg contributors. All rights reserved.
"""PSPNet18ResNet against a torchvision ResNet-18 dilated in place the way
ETC's ``model/pspnet_18.py`` does it."""
import torch
from mmseg.models.backbones import ResNet
from torchvision.models import resnet18

from mmvseg.models.backbones import PSPNet18ResNet
from mmvseg.registry import MODELS


def etc_reference():
    """torchvision ResNet-18, layer3/4 modified as the repository: conv2
    dilation = padding = 2 / 4, conv1 and downsample.0 stride 1."""
    net = resnet18()
    for layer, d in ((net.layer3, 2), (net.layer4, 4)):
        for name, module in layer.named_modules():
            if 'conv2' in name:
                module.dilation, module.padding = (d, d), (d, d)
                module.stride = (1, 1)
            elif 'conv1' in name or 'downsample.0' in name:
                module.stride = (1, 1)
    return net.eval()


def without_fc(state):
    """torchvision's ResNet keys are mmseg's, but for the classifier."""
    return {k: v for k, v in state.items() if not k.startswith('fc.')}


def test_equals_the_repository_network():
    torch.manual_seed(0)
    reference = etc_reference()
    for module in reference.modules():  # non-trivial BN statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    model = MODELS.build(
        dict(type='PSPNet18ResNet', depth=18, out_indices=(2, 3)))
    model.eval()  # mmseg's ResNet.train returns None
    model.load_state_dict(without_fc(reference.state_dict()), strict=True)
    x = torch.rand(1, 3, 65, 81)
    with torch.no_grad():
        layer3, layer4 = model(x)
        r = reference.maxpool(reference.relu(reference.bn1(
            reference.conv1(x))))
        r3 = reference.layer3(reference.layer2(reference.layer1(r)))
        r4 = reference.layer4(r3)
    assert layer3.shape == (1, 256, 9, 11) and layer4.shape == (1, 512, 9, 11)
    torch.testing.assert_close(layer3, r3, rtol=0, atol=1e-5)
    torch.testing.assert_close(layer4, r4, rtol=0, atol=1e-5)
    # 769x769 -> 97x97 (output stride 8)
    with torch.no_grad():
        assert model(torch.rand(1, 3, 769, 769))[-1].shape[-2:] == (97, 97)


def test_differs_from_mmseg_dilated_resnet():
    """Same weights, other dilation placement: mmseg's own dilated
    ResNet-18 is not this network."""
    torch.manual_seed(0)
    ours = PSPNet18ResNet(out_indices=(3, ))
    mmseg = ResNet(depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                   out_indices=(3, ))
    ours.eval()
    mmseg.eval()
    mmseg.load_state_dict(ours.state_dict())
    assert ours.layer4[0].conv2.dilation == (4, 4)
    assert ours.layer4[0].conv1.dilation == (1, 1)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(ours(x)[0], mmseg(x)[0])
