# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmvseg.models.backbones import EESPBlock, EESPDownsampler, ESPNetV2
from mmvseg.models.backbones.espnetv2 import eesp_dilations
from mmvseg.registry import MODELS


def _zero_convs(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.zeros_(m.weight)


@pytest.mark.parametrize('scale, widths', [(2.0, (32, 128, 256, 512)),
                                           (1.0, (32, 64, 128, 256))])
def test_levels_have_documented_channels_and_strides(scale, widths):
    backbone = MODELS.build(dict(type='ESPNetV2', scale=scale)).eval()
    with torch.no_grad():
        levels = backbone(torch.randn(2, 3, 64, 96))
    assert backbone.out_channels == widths
    assert [tuple(x.shape) for x in levels] == [
        (2, c, 64 // 2**(i + 1), 96 // 2**(i + 1))
        for i, c in enumerate(widths)
    ]
    assert len(backbone.level3) == 3 and len(backbone.level4) == 7


def test_any_size_rounds_up():
    backbone = ESPNetV2(scale=0.5).eval()
    with torch.no_grad():
        levels = backbone(torch.randn(1, 3, 37, 54))
    assert [tuple(x.shape[-2:]) for x in levels] == [(19, 27), (10, 14),
                                                     (5, 7), (3, 4)]


def test_branch_dilations_follow_the_receptive_field_limits():
    assert eesp_dilations(4, 13) == (1, 2, 3, 4)
    assert eesp_dilations(4, 9) == (1, 2, 3, 4)
    assert eesp_dilations(4, 7) == (1, 1, 2, 3)
    backbone = ESPNetV2(scale=1.0)

    def dilations(block):
        return tuple(b.dilation[0] for b in block.branches)

    for down in (backbone.level2_down, backbone.level3_down,
                 backbone.level4_down):
        assert dilations(down.eesp) == (1, 2, 3, 4)
        assert down.eesp.branches[0].stride == (2, 2)
    assert {dilations(b) for b in backbone.level3} == {(1, 2, 3, 4)}
    assert {dilations(b) for b in backbone.level4} == {(1, 1, 2, 3)}


def test_downsamplers_get_the_image_pooled_to_their_size():
    backbone = ESPNetV2(scale=0.5).eval()
    images = []
    for down in (backbone.level2_down, backbone.level3_down,
                 backbone.level4_down):
        down.register_forward_hook(
            lambda module, args, out: images.append(args[1]))
    x = torch.randn(1, 3, 40, 56)
    with torch.no_grad():
        backbone(x)
    pyramid = [x]
    for _ in range(4):
        pyramid.append(F.avg_pool2d(pyramid[-1], 3, stride=2, padding=1))
    # level k (stride 2^k) is reinforced by the image pooled k times
    for image, expected in zip(images, pyramid[2:]):
        torch.testing.assert_close(image, expected, rtol=0, atol=0)
    assert [tuple(i.shape[-2:]) for i in images] == [(10, 14), (5, 7),
                                                     (3, 4)]


def test_eesp_fuses_all_branches_hierarchically():
    block = EESPBlock(16, 16, (1, 2, 3, 4)).eval()
    for i, branch in enumerate(block.branches):
        if i != 1:
            nn.init.zeros_(branch.weight)
    merged = []
    block.merge_norm.register_forward_hook(
        lambda module, args, out: merged.append(args[0]))
    with torch.no_grad():
        block(torch.randn(1, 16, 6, 6))
    groups = merged[0].split(4, dim=1)
    assert torch.all(groups[0] == 0) and groups[1].abs().sum() > 0
    for group in groups[2:]:
        torch.testing.assert_close(group, groups[1], rtol=0, atol=0)


def test_eesp_residual_then_activation():
    block = EESPBlock(16, 16, (1, 1, 2, 3)).eval()
    _zero_convs(block)
    x = torch.randn(1, 16, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(block(x), block.activate(x))


def test_strided_eesp_has_no_residual_nor_activation():
    block = EESPBlock(8, 16, (1, 2, 3, 4), stride=2).eval()
    assert block.activate is None
    with torch.no_grad():
        out = block(torch.randn(2, 8, 9, 12))
    assert out.shape == (2, 16, 5, 6)
    assert (out < 0).any()  # BN output, not passed through a PReLU


def test_downsampler_concatenates_pooled_input_and_reinforces():
    down = EESPDownsampler(8, 24, (1, 2, 3, 4)).eval()
    _zero_convs(down)
    x = torch.rand(1, 8, 10, 12)
    with torch.no_grad():
        out = down(x, torch.rand(1, 3, 5, 6))
        pooled = F.avg_pool2d(x, 3, stride=2, padding=1)
    # zero convs: the EESP branch and the reinforcement add nothing
    torch.testing.assert_close(out[:, :8], pooled)
    assert torch.all(out[:, 8:] == 0)
    with pytest.raises(ValueError, match='reinforcing image'):
        down(x, torch.rand(1, 3, 10, 12))


@pytest.mark.parametrize('kwargs', [
    dict(in_channels=8, out_channels=10, dilations=(1, 2, 3, 4)),
    dict(in_channels=8, out_channels=8, dilations=(1, 2), stride=3),
])
def test_eesp_rejects_invalid_configurations(kwargs):
    with pytest.raises(ValueError):
        EESPBlock(**kwargs)


def test_unknown_scale_raises():
    with pytest.raises(ValueError, match='scale must be one of'):
        ESPNetV2(scale=3.0)
