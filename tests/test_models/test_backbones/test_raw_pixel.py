# Copyright (c) mmvseg contributors. All rights reserved.
import cv2
import numpy as np
import pytest
import torch

from mmvseg.models.backbones import RawPixelBackbone
from mmvseg.registry import MODELS


def test_lab_matches_opencv_block_means():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (16, 24, 3)).astype(np.float32)
    model = MODELS.build(dict(type='RawPixelBackbone'))
    (out, ) = model(torch.from_numpy(rgb).permute(2, 0, 1)[None])
    assert out.shape == (1, 3, 2, 3) and out.dtype == torch.float32
    lab = cv2.cvtColor(rgb / 255., cv2.COLOR_RGB2Lab)
    expected = lab.reshape(2, 8, 3, 8, 3).mean(axis=(1, 3))
    # kornia and OpenCV use slightly different sRGB/Lab constants
    np.testing.assert_allclose(
        out[0].permute(1, 2, 0).numpy(), expected, atol=0.3)
    white = model(torch.full((1, 3, 8, 8), 255.))[0].flatten()
    np.testing.assert_allclose(white.numpy(), [100, 0, 0], atol=0.01)
    assert model.state_dict() == {}


def test_grid_is_ceil_of_stride_and_undoes_normalisation():
    mean, std = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)
    rgb = torch.rand(2, 3, 37, 53) * 255
    normalised = (rgb - torch.tensor(mean).view(1, 3, 1, 1)) / \
        torch.tensor(std).view(1, 3, 1, 1)
    plain = RawPixelBackbone(color_space='rgb', stride=8)(rgb)[0]
    undone = RawPixelBackbone(
        color_space='rgb', stride=8, mean=mean, std=std)(normalised)[0]
    assert plain.shape == (2, 3, 5, 7)
    torch.testing.assert_close(plain, undone, atol=1e-5, rtol=0)
    # adaptive bins cover the whole frame: the last cell sees the last pixels
    torch.testing.assert_close(plain[..., -1, -1],
                               rgb[..., 29:, 45:].mean(dim=(2, 3)) / 255.,
                               atol=1e-5, rtol=0)
    assert RawPixelBackbone(stride=1)(rgb)[0].shape == (2, 3, 37, 53)


@pytest.mark.parametrize('kwargs', [
    dict(color_space='hsv'),
    dict(stride=0),
    dict(stride=2.0),
    dict(std=(1, 0, 1)),
    dict(mean=(0, 0))
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RawPixelBackbone(**kwargs)


def test_bad_input():
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        RawPixelBackbone()(torch.zeros(1, 1, 8, 8))
