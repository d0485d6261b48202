# Copyright (c) mmvseg contributors. All rights reserved.
import math

import pytest
import torch

import torch.nn.functional as F

from mmvseg.models.registration.base import (MIN_ABS_DET, BaseRegistration,
                                             corner_distance,
                                             homography_problem,
                                             registration_grid)


class MeanShiftRegistration(BaseRegistration):
    """Toy registration: a frame is described by its mean value; a pair
    gives ``num_points`` matches and H = translation by (mean_dst -
    mean_src, 0), unless ``fitted`` replaces the fit's result."""

    def __init__(self, num_points=6, fitted='translation', **kwargs):
        super().__init__(**kwargs)
        self.num_points = num_points
        self.fitted = fitted

    def describe_frames(self, frames):
        return [frame.float().mean() for frame in frames]

    def match(self, desc_src, desc_dst, size):
        points = torch.zeros(self.num_points, 2)
        return points + desc_src, points + desc_dst

    def estimate(self, points_src, points_dst):
        if self.fitted != 'translation':
            return self.fitted
        homography = torch.eye(3)
        homography[0, 2] = points_dst[0, 0] - points_src[0, 0]
        return homography


def _frames(*values):
    return torch.stack(
        [torch.full((3, 4, 5), v, dtype=torch.uint8) for v in values])


def test_homography_problem_on_hand_made_matrices():
    assert homography_problem(None) == 'RANSAC found no homography'
    assert homography_problem(torch.zeros(3, 3)) == \
        'RANSAC found no homography'
    for bad in (math.nan, math.inf):
        matrix = torch.eye(3)
        matrix[0, 1] = bad
        assert homography_problem(matrix) == 'non-finite homography'
    nearly_singular = torch.diag(torch.tensor([1.0, 0.99e-8, 1.0],
                                              dtype=torch.float64))
    assert homography_problem(nearly_singular) == 'degenerate homography'
    at_threshold = torch.diag(
        torch.tensor([1.0, MIN_ABS_DET, 1.0], dtype=torch.float64))
    assert homography_problem(at_threshold) is None
    assert homography_problem(-torch.eye(3)) is None  # |det| counts


def test_forward_is_register_of_describe():
    reg = MeanShiftRegistration()
    src, dst = _frames(10, 20), _frames(13, 15)
    homography = reg(src, dst)
    expected = torch.eye(3).repeat(2, 1, 1)
    expected[:, 0, 2] = torch.tensor([3.0, -5.0])
    assert homography.dtype == torch.float32
    assert torch.equal(homography, expected)
    descriptions = reg.describe(torch.cat([src, dst]))
    assert torch.equal(
        reg.register(descriptions[:2], descriptions[2:], (4, 5)), expected)
    # a description depends on its own frame only: pairs can be recombined
    assert torch.equal(
        reg.register(descriptions[1:2], descriptions[2:3], (4, 5)),
        torch.tensor([[[1.0, 0.0, -7.0], [0.0, 1.0, 0.0], [0.0, 0.0,
                                                           1.0]]]))


def test_corner_distance_on_hand_made_homographies():
    translation = torch.eye(3)
    translation[0, 2], translation[1, 2] = 3.0, 4.0
    assert corner_distance(translation, torch.eye(3), (20, 24)) == 5.0
    assert corner_distance(translation, translation, (20, 24)) == 0.0
    # a 2x zoom about the origin moves the far corner (23, 19) most
    zoom = torch.diag(torch.tensor([2.0, 2.0, 1.0]))
    assert corner_distance(zoom, torch.eye(3), (20, 24)) == \
        pytest.approx((23**2 + 19**2)**0.5)


def test_registration_grid_follows_interpolate():
    # a horizontal ramp (value = x) resized by 1/4: away from the borders,
    # where antialiasing's filter is whole, resized pixel q holds the full
    # frame position that A maps to q
    ramp = torch.arange(64.0).repeat(1, 3, 16, 1)
    small = F.interpolate(ramp, scale_factor=0.25, mode='bilinear',
                          antialias=True, align_corners=False)
    grid = registration_grid(0.25)
    q = torch.arange(16.0, dtype=torch.float64)
    p = (q - grid[0, 2]) / grid[0, 0]
    torch.testing.assert_close(small[0, 0, 2, 2:-2].double(), p[2:-2])
    assert torch.equal(registration_grid(1.0), torch.eye(3).double())


def test_scale_describes_resized_frames_and_maps_h_back():
    reg = MeanShiftRegistration(scale=0.5)
    seen = []
    describe_frames = reg.describe_frames
    reg.describe_frames = lambda frames: seen.append(frames.shape) or \
        describe_frames(frames)
    # constant 4x5 frames keep their value (up to float rounding) when
    # resized to 2x2; H_s = translation by 3 px of the resized frames
    homography = reg(_frames(10), _frames(13)).double()
    assert seen == [(1, 3, 2, 2), (1, 3, 2, 2)]
    grid = registration_grid(0.5)
    h_small = torch.eye(3, dtype=torch.float64)
    h_small[0, 2] = 3.0
    expected = torch.linalg.inv(grid) @ h_small @ grid
    torch.testing.assert_close(homography[0], expected, atol=1e-5, rtol=0)
    # a translation by t resized pixels is a translation by t / scale
    assert abs(homography[0, 0, 2] - 6.0) < 1e-5
    assert reg.described_size((736, 1280)) == (368, 640)


def test_bad_inputs_raise():
    reg = MeanShiftRegistration()
    with pytest.raises(ValueError, match=r'both be \(N, 3, H, W\)'):
        reg(_frames(1, 2), _frames(1))
    with pytest.raises(ValueError, match=r'both be \(N, 3, H, W\)'):
        reg(torch.zeros(1, 1, 4, 5), torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match='one destination description per'):
        reg.register(reg.describe(_frames(1, 2)), reg.describe(_frames(1)),
                     (4, 5))
    with pytest.raises(ValueError, match='min_matches >= 4, got 3'):
        MeanShiftRegistration(min_matches=3)
    with pytest.raises(NotImplementedError):
        BaseRegistration()(_frames(1), _frames(2))
    for scale in (0.0, 1.5):
        with pytest.raises(ValueError, match=r'scale must be in \(0, 1\]'):
            MeanShiftRegistration(scale=scale)
    with pytest.raises(ValueError, match='resizes 4x5 frames to nothing'):
        MeanShiftRegistration(scale=0.2).describe(_frames(1))
    with pytest.raises(ValueError, match=r'frames must be \(N, 3, H, W\)'):
        reg.describe(torch.zeros(3, 4, 5))


@pytest.mark.parametrize('num_points,fitted,reason', [
    (3, 'translation', '3 matches < min_matches=4'),
    (6, None, 'RANSAC found no homography from 6 matches'),
    (6, torch.zeros(3, 3), 'RANSAC found no homography from 6 matches'),
    (6, torch.full((3, 3), math.nan), 'non-finite homography from 6 matches'),
    (6, torch.ones(3, 3), 'degenerate homography from 6 matches'),
])
def test_fallback_to_identity_with_warning(num_points, fitted, reason,
                                           warnings_log):
    reg = MeanShiftRegistration(num_points, fitted)
    assert torch.equal(reg(_frames(1), _frames(9)), torch.eye(3)[None])
    assert warnings_log == [
        f'MeanShiftRegistration: {reason}; using the identity'
    ]


def test_valid_fit_is_returned_as_float64_on_cpu(warnings_log):
    fitted = torch.tensor([[2.0, 0.5, 1.0], [0.0, 1.0, -3.0],
                           [0.0, 0.25, 1.0]])
    reg = MeanShiftRegistration(fitted=fitted)
    homography = reg.fit(torch.zeros(6, 2), torch.zeros(6, 2))
    assert homography.dtype == torch.float64
    assert torch.equal(homography, fitted.double())
    assert torch.equal(reg(_frames(1), _frames(2)), fitted[None])
    assert warnings_log == []
