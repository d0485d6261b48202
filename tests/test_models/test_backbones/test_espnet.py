# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmvseg.models.backbones import ESPBlock, ESPNetEncoder
from mmvseg.registry import MODELS


def _zero_convs(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.zeros_(m.weight)


@pytest.mark.parametrize('p, q', [(2, 8), (1, 3)])
def test_encoder_levels_have_documented_channels_and_strides(p, q):
    encoder = MODELS.build(dict(type='ESPNetEncoder', p=p, q=q)).eval()
    with torch.no_grad():
        feats = encoder(torch.randn(2, 3, 40, 56))
    assert encoder.out_channels == (19, 131, 256)
    shapes = [tuple(f.shape) for f in feats]
    assert shapes == [(2, 19, 20, 28), (2, 131, 10, 14), (2, 256, 5, 7)]
    assert len(encoder.level2) == p and len(encoder.level3) == q


def test_encoder_level1_appends_the_pooled_image():
    encoder = ESPNetEncoder(p=1, q=1).eval()
    _zero_convs(encoder)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        level1 = encoder(x)[0]
    pooled = nn.functional.avg_pool2d(x, 3, stride=2, padding=1)
    # eval BN with initial statistics divides by sqrt(1 + eps); x >= 0
    # passes PReLU unchanged
    expected = pooled / (1 + 1e-3)**0.5
    torch.testing.assert_close(level1[:, 16:], expected)
    assert torch.all(level1[:, :16] == 0)


def test_encoder_takes_any_size_rounding_up():
    encoder = ESPNetEncoder(p=1, q=1).eval()
    levels = encoder(torch.randn(1, 3, 37, 54))
    assert [tuple(x.shape[-2:]) for x in levels] == [(19, 27), (10, 14),
                                                     (5, 7)]


def test_esp_block_shapes_and_branch_widths():
    down = ESPBlock(19, 64, stride=2)
    assert down.reduce.kernel_size == (3, 3) and down.reduce.stride == (2, 2)
    assert [b.out_channels for b in down.branches] == [16, 12, 12, 12, 12]
    assert [b.dilation[0] for b in down.branches] == [1, 2, 4, 8, 16]
    assert down(torch.randn(2, 19, 9, 12)).shape == (2, 64, 5, 6)
    block = ESPBlock(24, 12)
    assert block.reduce.kernel_size == (1, 1)
    assert [b.out_channels for b in block.branches] == [4, 2, 2, 2, 2]
    assert block(torch.randn(2, 24, 7, 5)).shape == (2, 12, 7, 5)


def test_esp_block_fuses_dilated_branches_hierarchically():
    block = ESPBlock(10, 10).eval()
    for i, branch in enumerate(block.branches):
        if i != 1:
            nn.init.zeros_(branch.weight)
    with torch.no_grad():
        out = block(torch.randn(1, 10, 8, 8))
    # only the dilation-2 branch is non-zero: the cumulative sums repeat it
    groups = out.split(2, dim=1)
    assert torch.all(groups[0] == 0) and groups[1].abs().sum() > 0
    for group in groups[2:]:
        torch.testing.assert_close(group, groups[1])


def test_esp_block_residual_adds_the_input():
    block = ESPBlock(10, 10, residual=True).eval()
    _zero_convs(block)
    x = torch.rand(1, 10, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x / (1 + 1e-3)**0.5)


@pytest.mark.parametrize('kwargs', [
    dict(in_channels=8, out_channels=10, residual=True),
    dict(in_channels=10, out_channels=10, stride=2, residual=True),
    dict(in_channels=10, out_channels=10, stride=3),
    dict(in_channels=10, out_channels=4),
])
def test_esp_block_rejects_invalid_configurations(kwargs):
    with pytest.raises(ValueError):
        ESPBlock(**kwargs)


def test_encoder_fourth_output_is_the_level1_conv():
    encoder = ESPNetEncoder(p=1, q=1, out_level1_conv=True).eval()
    assert encoder.out_channels == (19, 131, 256, 16)
    x = torch.randn(2, 3, 16, 24)
    with torch.no_grad():
        level1, level2, level3, level1_conv = encoder(x)
        expected = encoder.level1(x)
    assert level1_conv.shape == (2, 16, 8, 12)
    torch.testing.assert_close(level1_conv, expected, rtol=0, atol=0)
    # the first three are the outputs without the option
    encoder.out_level1_conv = False
    with torch.no_grad():
        for got, want in zip((level1, level2, level3), encoder(x)):
            torch.testing.assert_close(got, want, rtol=0, atol=0)
