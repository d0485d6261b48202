# Copyright (c) mmvseg contributors. All rights reserved.
"""Global homography registration and homography warping.

``HomographyRegistration`` estimates ``H_{t-1->t}`` with OpenCV keypoints as
FraunhoferIVI/SSP ``compute_homo_cv`` (``data/video/video_dataset.py``): a
detector/descriptor, 2-NN matching with Lowe's ratio test, then
``cv2.findHomography(RANSAC)``. ``warp_homography`` is the repo's W_h
(``kornia.geometry.transform.warp_perspective`` with bilinear sampling, zero
padding and ``align_corners=True``) as one ``grid_sample``;
``scale_homography`` moves a homography to a feature map of another stride.
"""
from typing import List, NamedTuple, Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmvseg.models.flow.estimators import rgb_to_gray_uint8
from mmvseg.registry import MODELS
from .base import BaseRegistration

_MODES = ('bilinear', 'nearest')
_PADDINGS = ('zeros', 'border')


def _check_homography(x: Tensor, homography: Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f'x must be (N, C, H, W), got {tuple(x.shape)}')
    if homography.shape != (x.shape[0], 3, 3):
        raise ValueError(f'homography must be ({x.shape[0]}, 3, 3) for x of '
                         f'shape {tuple(x.shape)}, got '
                         f'{tuple(homography.shape)}')


def _sampling_grid(homography: Tensor, size: Tuple[int, int],
                   device: torch.device) -> Tensor:
    """``grid_sample`` grid that samples the source at ``M^-1 p``.

    ``M^-1`` is taken on the CPU in float64 (a 3x3 inverse per sample: no
    device synchronisation); the sample positions are computed in float32
    on ``device`` and normalised as ``2 u / (W - 1) - 1``
    (``align_corners=True``). Float32 rounding moves a position by at most
    ~5e-4 px at W = 1280 (the identity and integer translations only by the
    normalisation, ~5e-5 px). Positions that are not finite (points mapped
    to infinity) or lie more than 2 px outside the image are moved to 2 px
    outside, which changes no sampled value.

    Args:
        homography: (N, 3, 3) source-to-destination pixel homography M.
        size: (H, W) of the destination grid (the source has the same size).
        device: where to build the grid.

    Returns:
        Tensor: (N, H, W, 2) float32 normalised (x, y) sample positions.

    Raises:
        torch.linalg.LinAlgError: M is singular.
    """
    h, w = size
    inverse = torch.linalg.inv(homography.detach().cpu().double())
    inverse = inverse.float().to(device)
    xs = torch.arange(w, dtype=torch.float32, device=device).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=device).view(1, h, 1)

    def row(i: int) -> Tensor:
        m = inverse[:, i].view(-1, 3, 1, 1)
        return m[:, 0] * xs + m[:, 1] * ys + m[:, 2]

    depth = row(2)
    normalised = []
    for i, extent in ((0, w), (1, h)):
        positions = torch.nan_to_num(row(i) / depth, nan=-2.0)
        positions = positions.clamp(-2.0, extent + 1.0)
        normalised.append(positions * (2.0 / max(extent - 1, 1)) - 1.0)
    return torch.stack(normalised, dim=-1)


def warp_homography(x: Tensor,
                    homography: Tensor,
                    mode: str = 'bilinear',
                    padding: str = 'zeros') -> Tensor:
    """W_h(x, M)(p) = sample of ``x`` at ``M^-1 p``.

    The sampling of FraunhoferIVI/SSP's ``warp`` / ``warp_batch``
    (``models/video/models_consistency.py``), i.e. of
    ``kornia.geometry.transform.warp_perspective(x, M, dsize=(H, W),
    mode=mode, padding_mode=padding, align_corners=True)``: pixel centres at
    integer positions, values from outside the source read 0 (``'zeros'``)
    or the nearest border pixel (``'border'``), evaluated with one
    ``torch.nn.functional.grid_sample`` call. Unlike :func:`flow_warp`, it
    is not pixel-exact: the float32 grid moves sample positions by up to
    ~5e-4 px (the identity by ~5e-5 px, so it returns ``x`` up to ~5e-5 of
    its local differences), which does not matter for logits and features
    and makes it 2.5-6x faster on a CPU than interpolating in pixel units.
    Differentiable w.r.t. ``x``.

    Args:
        x: (N, C, H, W) float map of the source frame (e.g. frame t-1).
            Half-precision maps are sampled in float32 and cast back.
        homography: (N, 3, 3) M mapping source pixel coordinates to
            destination pixel coordinates (``H_{t-1->t}``), on any device.
        mode: ``'bilinear'`` or ``'nearest'``.
        padding: ``'zeros'`` or ``'border'``.

    Returns:
        Tensor: (N, C, H, W) map on the destination grid, dtype of ``x``.

    Raises:
        ValueError: wrong shapes, unknown mode or padding.
        torch.linalg.LinAlgError: M is singular.
    """
    _check_homography(x, homography)
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
    if padding not in _PADDINGS:
        raise ValueError(
            f'padding must be one of {_PADDINGS}, got {padding!r}')
    work = x if x.dtype == torch.float64 else x.float()
    grid = _sampling_grid(homography, x.shape[2:], x.device)
    out = F.grid_sample(
        work, grid.to(work.dtype), mode=mode, padding_mode=padding,
        align_corners=True)
    return out.to(x.dtype)


def scale_homography(homography: Tensor, scale: float) -> Tensor:
    """``S H S^-1`` with ``S = diag(scale, scale, 1)``.

    Moves a homography between pixel grids related by ``q = scale * p``,
    e.g. ``scale=1/4`` for a stride-4 feature map (the repo's
    ``down @ homo @ up``).

    Args:
        homography: (N, 3, 3) or (3, 3) float pixel homography.
        scale: size of the new grid relative to the old one.

    Returns:
        Tensor: the homography on the new grid, same shape and dtype.
    """
    diag = [scale, scale, 1.0]
    s = torch.diag(homography.new_tensor(diag))
    s_inv = torch.diag(homography.new_tensor([1.0 / v for v in diag]))
    return s @ homography @ s_inv


class OpenCVFeatures(NamedTuple):
    """OpenCV keypoints of one frame: ``points`` (K, 2) float32 (x, y)
    pixels and ``descriptors`` (K, D) (None when K = 0)."""
    points: np.ndarray
    descriptors: Optional[np.ndarray]


@MODELS.register_module()
class HomographyRegistration(BaseRegistration):
    """Frame-to-frame homography from OpenCV keypoints.

    :meth:`describe_frames` computes keypoints and descriptors of each frame
    on its uint8 gray version (``cv2.COLOR_RGB2GRAY``). For each pair,
    :meth:`match` matches each descriptor of frame t to its two nearest
    neighbours in frame t-1 by exhaustive search (L2 for SIFT, Hamming for
    ORB/AKAZE) and Lowe's ratio test keeps a match when ``d1 < ratio * d2``;
    :meth:`estimate` fits ``H_{t-1->t}`` (source = frame t-1) with
    ``cv2.findHomography(src, dst, cv2.RANSAC, ransac_thresh)``. As
    FraunhoferIVI/SSP ``compute_homo_cv`` (``data/video/video_dataset.py``,
    used when ``data_cfg.opencv_homos`` is true; all released configs set it
    false), except that SIFT is matched exhaustively instead of with
    FLANN (exact and deterministic). Falls back to the identity, with a
    warning that gives the number of matches, when there are fewer than
    ``min_matches`` matches, RANSAC fails, or H is not finite or
    ``|det H| < 1e-8`` (:class:`BaseRegistration`).

    Detectors: SIFT (Lowe, IJCV 2004), ORB (Rublee et al., ICCV 2011), AKAZE
    (Alcantarilla et al., BMVC 2013). OpenCV 5.0 moved AKAZE out of the main
    modules (no ``cv2.AKAZE_create``), so ``'akaze'`` needs an OpenCV build
    that has it; ``'sift'`` is the default (the repo's default
    ``opencv_model_type``). ``'identity'`` always returns I (ablation "no
    registration"); its descriptions are None.

    Args:
        method: ``'sift'``, ``'orb'``, ``'akaze'`` or ``'identity'``.
        ratio: Lowe ratio threshold (0.8 in the repo).
        ransac_thresh: RANSAC reprojection threshold in pixels (2.5).
        min_matches: fewest ratio-test matches to fit H (>= 4).
        max_features: keypoint cap for SIFT/ORB; None gives the repo's
            values (SIFT 8000, ORB OpenCV's default 500). AKAZE has no cap.
        scale: describe and match the frames resized by this factor
            (:class:`BaseRegistration`; ``ransac_thresh`` is then in pixels
            of the resized frames).

    Raises:
        ValueError: unknown method, ``min_matches < 4``, ``max_features``
            with AKAZE, or ``scale`` outside (0, 1].
        RuntimeError: ``'akaze'`` with an OpenCV build that lacks it.
    """

    METHODS = ('sift', 'orb', 'akaze', 'identity')

    def __init__(self,
                 method: str = 'sift',
                 ratio: float = 0.8,
                 ransac_thresh: float = 2.5,
                 min_matches: int = 4,
                 max_features: Optional[int] = None,
                 scale: float = 1.0) -> None:
        super().__init__(min_matches, scale)
        if method not in self.METHODS:
            raise ValueError(f'method must be one of {self.METHODS}, got '
                             f'{method!r}')
        if method == 'akaze':
            if max_features is not None:
                raise ValueError('max_features does not apply to AKAZE')
            if not hasattr(cv2, 'AKAZE_create'):
                raise RuntimeError(
                    f'OpenCV {cv2.__version__} has no cv2.AKAZE_create '
                    "(OpenCV 5 moved it out of the main modules); use "
                    "method='sift' or 'orb'")
        self.method = method
        self.ratio = ratio
        self.ransac_thresh = ransac_thresh
        self.max_features = max_features

    def log_name(self) -> str:
        """``HomographyRegistration('<method>')``."""
        return f'{type(self).__name__}({self.method!r})'

    def _detector(self) -> cv2.Feature2D:
        # Built per call: OpenCV objects cannot be pickled or deep-copied.
        if self.method == 'sift':
            return cv2.SIFT_create(self.max_features or 8000)
        if self.method == 'orb':
            return cv2.ORB_create(self.max_features or 500)
        return cv2.AKAZE_create()

    def describe_frames(self,
                        frames: Tensor) -> List[Optional[OpenCVFeatures]]:
        """Keypoints and descriptors of each frame.

        Args:
            frames: (N, 3, H, W) RGB frames, uint8 or float 0-255 (floats
                are rounded and clipped to uint8).

        Returns:
            list[OpenCVFeatures | None]: N descriptions; None for
            ``'identity'``.
        """
        if self.method == 'identity':
            return [None] * frames.size(0)
        detector = self._detector()
        descriptions = []
        for frame in frames:
            keypoints, descriptors = detector.detectAndCompute(
                rgb_to_gray_uint8(frame), None)
            points = np.float32([kp.pt for kp in keypoints]).reshape(-1, 2)
            descriptions.append(OpenCVFeatures(points, descriptors))
        return descriptions

    def register_pair(self, desc_src: Optional[OpenCVFeatures],
                      desc_dst: Optional[OpenCVFeatures],
                      size: Tuple[int, int]) -> Tensor:
        """(3, 3) float64 CPU H of one pair; I for ``'identity'``."""
        if self.method == 'identity':
            return torch.eye(3, dtype=torch.float64)
        return super().register_pair(desc_src, desc_dst, size)

    def match(self, desc_src: OpenCVFeatures, desc_dst: OpenCVFeatures,
              size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
        """Ratio-test matches between two frames.

        Returns:
            tuple[np.ndarray, np.ndarray]: matched keypoints (M, 2) float32
            (x, y) pixels of the source and of the destination frame, row i
            matching row i; M = 0 when frame t has no descriptors or frame
            t-1 fewer than 2.
        """
        matches = []
        if desc_dst.descriptors is not None and (
                desc_src.descriptors is not None
                and len(desc_src.descriptors) >= 2):
            norm = cv2.NORM_L2 if self.method == 'sift' else cv2.NORM_HAMMING
            pairs = cv2.BFMatcher(norm).knnMatch(desc_dst.descriptors,
                                                 desc_src.descriptors, k=2)
            matches = [
                pair[0] for pair in pairs
                if len(pair) == 2 and pair[0].distance < self.ratio *
                pair[1].distance
            ]
        return (desc_src.points[[m.trainIdx for m in matches]],
                desc_dst.points[[m.queryIdx for m in matches]])

    def estimate(self, points_src: np.ndarray,
                 points_dst: np.ndarray) -> Optional[Tensor]:
        """``cv2.findHomography(RANSAC, ransac_thresh)`` of (M, 2) float32
        matched points: (3, 3) float64 H, or None when RANSAC fails."""
        homography, _ = cv2.findHomography(
            points_src.reshape(-1, 1, 2), points_dst.reshape(-1, 1, 2),
            cv2.RANSAC, self.ransac_thresh)
        if homography is None or homography.size == 0:
            return None
        return torch.from_numpy(homography)
