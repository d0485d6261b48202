# Copyright (c) mmvseg contributors. All rights reserved.

import cv2
import numpy as np
import pytest
import torch
from kornia.geometry.transform import warp_perspective

from mmvseg.models.registration import (HomographyRegistration,
                                        scale_homography, warp_homography)
from mmvseg.models.registration.homography import OpenCVFeatures
from mmvseg.registry import MODELS

# maps pixels of frame t-1 to frame t
H_TRUE = np.array([[1.02, 0.03, 4.0], [-0.02, 0.99, -3.0],
                   [1e-4, -5e-5, 1.0]])


def _textured(h: int = 160, w: int = 200, seed: int = 0) -> np.ndarray:
    """(h, w, 3) uint8 RGB smooth noise with filled shapes."""
    rng = np.random.default_rng(seed)
    noise = rng.random((h // 4, w // 4, 3)).astype(np.float32)
    img = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    img = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    for i in range(30):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = (int(v) for v in rng.integers(0, (w, h)))
        if i % 2:
            cv2.circle(img, (x, y), int(rng.integers(3, 12)), color, -1)
        else:
            corner = (x + int(rng.integers(5, 25)),
                      y + int(rng.integers(5, 25)))
            cv2.rectangle(img, (x, y), corner, color, -1)
    return img


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None]


def _pair(seed: int = 0):
    """Frames t-1 and t (1, 3, 160, 200) uint8, t = warp of t-1 by H_TRUE."""
    src = _textured(seed=seed)
    dst = cv2.warpPerspective(src, H_TRUE, (200, 160))
    return _to_tensor(src), _to_tensor(dst)


def _corner_error(estimate: np.ndarray, h: int = 160, w: int = 200) -> float:
    """Largest distance (px) between image corners mapped by both H."""
    corners = np.array([[0, w - 1, 0, w - 1], [0, 0, h - 1, h - 1],
                        [1, 1, 1, 1]], np.float64)
    a, b = estimate @ corners, H_TRUE @ corners
    return float(np.abs(a[:2] / a[2] - b[:2] / b[2]).max())


@pytest.mark.parametrize('method,linear_tol,corner_tol',
                         [('sift', 2e-3, 0.2), ('orb', 2e-2, 3.0)])
def test_recovers_known_homography(method, linear_tol, corner_tol):
    src, dst = _pair()
    homography = HomographyRegistration(method)(src, dst)
    assert homography.shape == (1, 3, 3)
    assert homography.dtype == torch.float32
    est = homography[0].double().numpy()
    est = est / est[2, 2]
    np.testing.assert_allclose(est[:2, :2], H_TRUE[:2, :2], atol=linear_tol)
    np.testing.assert_allclose(est[2, :2], H_TRUE[2, :2], atol=1e-4)
    assert _corner_error(est) < corner_tol


def test_recovers_known_homography_at_half_resolution():
    src, dst = _pair()
    reg = HomographyRegistration('sift', scale=0.5)
    described = reg.describe(src)[0]
    # keypoints live on the 80x100 resized frame
    assert described.points.max(0).tolist() < [100, 80]
    est = reg(src, dst)[0].double().numpy()
    assert _corner_error(est / est[2, 2]) < 0.5


def test_batch_float_input_and_flat_fallback(warnings_log):
    src, dst = _pair(seed=1)
    flat = torch.full_like(src, 128)
    reg = HomographyRegistration('sift')
    homography = reg(torch.cat([src, flat]).float(),
                     torch.cat([dst, flat]).float())
    assert torch.equal(homography[1], torch.eye(3))
    assert _corner_error(homography[0].double().numpy()) < 0.2
    assert torch.equal(homography[:1], reg(src, dst))
    assert warnings_log == [
        "HomographyRegistration('sift'): 0 matches < min_matches=4; "
        'using the identity'
    ]


def test_describe_each_frame_once_then_register():
    pairs = [_pair(seed=0), _pair(seed=1)]
    src = torch.cat([pair[0] for pair in pairs])
    dst = torch.cat([pair[1] for pair in pairs])
    reg = HomographyRegistration('sift')
    described = reg.describe(torch.cat([src, dst]))
    assert len(described) == 4
    first = described[0]
    assert isinstance(first, OpenCVFeatures)
    assert first.points.dtype == np.float32 and first.points.shape[1] == 2
    assert first.descriptors.shape == (len(first.points), 128)
    # a frame's description does not depend on the other frames
    alone = reg.describe(dst[1:])[0]
    np.testing.assert_array_equal(alone.points, described[3].points)
    np.testing.assert_array_equal(alone.descriptors, described[3].descriptors)
    homography = reg.register(described[:2], described[2:], (160, 200))
    assert torch.equal(homography, reg(src, dst))
    assert _corner_error(homography[1].double().numpy()) < 0.2
    flat = reg.describe(torch.full_like(src[:1], 128))[0]
    assert flat.points.shape == (0, 2) and flat.descriptors is None
    points_src, points_dst = reg.match(flat, described[2], (160, 200))
    assert points_src.shape == points_dst.shape == (0, 2)


def test_too_few_matches_gives_identity(warnings_log):
    src, dst = _pair()
    homography = HomographyRegistration('sift', min_matches=10**6)(src, dst)
    assert torch.equal(homography, torch.eye(3)[None])
    assert len(warnings_log) == 1
    assert 'matches < min_matches=1000000' in warnings_log[0]


def test_identity_method():
    src, dst = _pair()
    reg = HomographyRegistration('identity')
    homography = reg(torch.cat([src, dst]), torch.cat([dst, src]))
    assert torch.equal(homography, torch.eye(3).expand(2, 3, 3))
    assert reg.describe(torch.cat([src, dst])) == [None, None]
    assert torch.equal(
        reg.register([None], [None], (160, 200)), torch.eye(3)[None])


def test_bad_arguments():
    with pytest.raises(ValueError, match='method'):
        HomographyRegistration('surf')
    with pytest.raises(ValueError, match='min_matches'):
        HomographyRegistration(min_matches=3)
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        HomographyRegistration()(
            torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))


def test_akaze_availability():
    if hasattr(cv2, 'AKAZE_create'):
        src, dst = _pair()
        est = HomographyRegistration('akaze')(src, dst)[0].double().numpy()
        assert _corner_error(est / est[2, 2]) < 1.0
    else:
        with pytest.raises(RuntimeError, match='AKAZE_create'):
            HomographyRegistration('akaze')
    with pytest.raises(ValueError, match='max_features'):
        HomographyRegistration('akaze', max_features=100)


def _translation(tx: float, ty: float, n: int = 2) -> torch.Tensor:
    m = torch.eye(3).repeat(n, 1, 1)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _assert_warped(out: torch.Tensor, expected: torch.Tensor,
                   mode: str) -> None:
    """Nearest sampling is exact; bilinear is within float32 grid rounding
    (~5e-5 px for these maps of values in [0, 1])."""
    if mode == 'nearest':
        assert torch.equal(out, expected)
    else:
        torch.testing.assert_close(out, expected, atol=2e-4, rtol=0)


@pytest.mark.parametrize('mode', ['bilinear', 'nearest'])
def test_warp_identity(mode):
    torch.manual_seed(0)
    x = torch.rand(2, 4, 37, 53)
    _assert_warped(
        warp_homography(x, torch.eye(3).repeat(2, 1, 1), mode), x, mode)


@pytest.mark.parametrize('mode', ['bilinear', 'nearest'])
def test_warp_integer_translation(mode):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 9, 11)
    out = warp_homography(x, _translation(3, -2), mode)
    # out(y, x) = x(y + 2, x - 3), 0 where that lies outside
    expected = torch.zeros_like(x)
    expected[:, :, :7, 3:] = x[:, :, 2:, :8]
    _assert_warped(out, expected, mode)
    border = warp_homography(x, _translation(3, -2), mode, 'border')
    expected = torch.cat((x[:, :, 2:, :1].expand(2, 3, 7, 3), x[:, :, 2:, :8]),
                         dim=-1)
    _assert_warped(border[:, :, :7], expected, mode)


def test_warp_keeps_the_dtype_of_x():
    x = torch.rand(1, 2, 6, 7, dtype=torch.float64)
    out = warp_homography(x, _translation(1.5, 0, n=1))
    assert out.dtype == torch.float64
    # a half-pixel shift averages horizontal neighbours
    torch.testing.assert_close(
        out[..., 2:], (x[..., :-2] + x[..., 1:-1]) / 2, atol=2e-4, rtol=0)
    half = warp_homography(x.half(), _translation(1, 0, n=1).double())
    assert half.dtype == torch.float16


def test_warp_matches_kornia_warp_perspective():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 40, 50)
    homography = torch.tensor(H_TRUE, dtype=torch.float32).repeat(2, 1, 1)
    homography[1, 0, 2] = -2.5
    for padding in ('zeros', 'border'):
        out = warp_homography(x, homography, 'bilinear', padding)
        expected = warp_perspective(
            x,
            homography, (40, 50),
            mode='bilinear',
            padding_mode=padding,
            align_corners=True)
        assert torch.allclose(out, expected, atol=1e-5)


def test_warp_is_differentiable_in_x():
    x = torch.rand(1, 2, 6, 7, requires_grad=True)
    warp_homography(x, _translation(2, 1, n=1)).sum().backward()
    expected = torch.zeros(1, 2, 6, 7)
    expected[:, :, :5, :5] = 1  # pixels that land inside the output
    torch.testing.assert_close(x.grad, expected, atol=2e-4, rtol=0)


def test_warp_bad_arguments():
    with pytest.raises(ValueError, match='homography'):
        warp_homography(torch.zeros(2, 1, 4, 4), torch.eye(3)[None])
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        warp_homography(torch.zeros(1, 4, 4), torch.eye(3)[None])
    with pytest.raises(ValueError, match='mode'):
        warp_homography(torch.zeros(1, 1, 4, 4), torch.eye(3)[None], 'cubic')
    with pytest.raises(ValueError, match='padding'):
        warp_homography(
            torch.zeros(1, 1, 4, 4), torch.eye(3)[None], padding='reflect')


def test_warp_points_at_infinity_read_zero():
    # M^-1 = [[1, 0, 0], [0, 1, 0], [-0.5, 0, 1]]: column 2 maps to infinity,
    # columns > 2 behind the camera (negative positions, outside).
    homography = torch.tensor([[[1., 0., 0.], [0., 1., 0.], [0.5, 0., 1.]]])
    x = torch.rand(1, 2, 5, 6) + 1
    for padding in ('zeros', 'border'):
        out = warp_homography(x, homography, padding=padding)
        assert torch.isfinite(out).all()
        assert torch.equal(out[..., 0], x[..., 0])
    out = warp_homography(x, homography)
    assert torch.equal(out[..., 2:], torch.zeros(1, 2, 5, 4))


def test_scale_homography_known_matrix():
    homography = torch.tensor([[1.5, 0.25, 8.0], [-0.5, 2.0, -4.0],
                               [0.125, -0.25, 1.0]])
    expected = torch.tensor([[1.5, 0.25, 2.0], [-0.5, 2.0, -1.0],
                             [0.5, -1.0, 1.0]])
    assert torch.equal(scale_homography(homography, 0.25), expected)
    batched = scale_homography(homography.expand(2, 3, 3), 0.25)
    assert torch.equal(batched, expected.expand(2, 3, 3))
    assert torch.equal(scale_homography(expected, 4.0), homography)


def test_scaled_translation_warps_feature_map_exactly():
    torch.manual_seed(0)
    feats = torch.rand(1, 2, 8, 10)
    scaled = scale_homography(_translation(8, -4, n=1), 0.25)
    expected = torch.zeros_like(feats)
    expected[:, :, :7, 2:] = feats[:, :, 1:, :8]
    torch.testing.assert_close(
        warp_homography(feats, scaled), expected, atol=2e-4, rtol=0)


def test_build_from_registry():
    reg = MODELS.build(dict(type='HomographyRegistration', method='orb'))
    assert isinstance(reg, HomographyRegistration) and reg.method == 'orb'
