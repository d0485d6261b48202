# Copyright (c) mmvseg contributors. All rights reserved.
"""Common interface of the global registration modules.

Semantic Similarity Propagation (Vincent et al., CVPR 2025; FraunhoferIVI/SSP
``models/video/models_consistency.py``) aligns the previous output to the
current frame with one global homography per frame pair.

A registration module estimates the homography ``H_{t-1->t}`` that maps
pixel coordinates of frame t-1 (source) to frame t (destination), in two
stages:

- :meth:`BaseRegistration.describe`: per-frame descriptions (keypoints and
  descriptors, or whatever a method needs), computed for each frame on its
  own, optionally on a downscaled copy of the frame (``scale``);
- :meth:`BaseRegistration.register`: homographies from the descriptions of
  the source and destination frames, in pixel coordinates of the full
  frames.

``forward(frames_src, frames_dst)`` chains both. A causal model can keep
the description of frame t-1 and describe each frame once instead of twice
(``SSP.predict_clip``); since a description depends on its own frame only,
this gives the same homographies as ``forward`` on each pair.
"""
import logging
import math
from typing import Any, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

#: Smallest ``|det H|`` accepted from a fit (mmvseg's choice: below it H is
#: treated as degenerate). kornia's RANSAC returns its all-zero initial 3x3
#: matrix when it finds no model, which FraunhoferIVI/SSP does not handle.
MIN_ABS_DET = 1e-8


def homography_problem(homography: Optional[Tensor]) -> Optional[str]:
    """Why a fitted homography cannot be used, or None when it can.

    Args:
        homography: (3, 3) float H from a robust fit, or None when the fit
            returned nothing.

    Returns:
        str | None: ``'RANSAC found no homography'`` (None, or kornia's
        all-zero matrix), ``'non-finite homography'``, ``'degenerate
        homography'`` (``|det H| <`` :data:`MIN_ABS_DET`), or None for a
        usable H.
    """
    if homography is None:
        return 'RANSAC found no homography'
    if not torch.isfinite(homography).all():
        return 'non-finite homography'
    if not homography.any():
        return 'RANSAC found no homography'
    if torch.linalg.det(homography.double()).abs() < MIN_ABS_DET:
        return 'degenerate homography'
    return None


def registration_grid(scale: float) -> Tensor:
    """(3, 3) float64 A mapping full-frame pixel coordinates to those of
    the frame resized by ``scale``.

    ``torch.nn.functional.interpolate(scale_factor=scale)`` samples output
    pixel q at input position ``(q + 0.5) / scale - 0.5`` (pixel centres at
    integers), so ``q = scale * (p + 0.5) - 0.5``. A homography H_s fitted
    on the resized frames is ``A^-1 H_s A`` on the full frames.
    """
    offset = 0.5 * scale - 0.5
    return torch.tensor([[scale, 0.0, offset], [0.0, scale, offset],
                         [0.0, 0.0, 1.0]], dtype=torch.float64)


def corner_distance(homography: Tensor, reference: Tensor,
                    size: Tuple[int, int]) -> float:
    """Largest distance (px) between the four corner pixels of a frame of
    ``size`` (H, W) mapped by two (3, 3) homographies.

    A scale-aware summary of how far two homographies of the same frame
    pair disagree (0 for equal ones, ``|t|`` for two translations that
    differ by t).
    """
    h, w = size
    corners = torch.tensor([[0, w - 1, 0, w - 1], [0, 0, h - 1, h - 1],
                            [1, 1, 1, 1]], dtype=torch.float64)
    a = homography.detach().cpu().double() @ corners
    b = reference.detach().cpu().double() @ corners
    return float((a[:2] / a[2] - b[:2] / b[2]).norm(dim=0).max())


class BaseRegistration(BaseModule):
    """Frame-to-frame homographies from per-frame descriptions.

    Subclasses implement :meth:`describe_frames` and either
    :meth:`register_pair` or the two stages it chains by default,
    :meth:`match` (matched points of two descriptions) and
    :meth:`estimate` (a robust fit); :meth:`fit` wraps :meth:`estimate`
    with the fallbacks shared by all methods: the identity, with a warning
    naming the reason and the number of matches, when there are fewer than
    ``min_matches`` matches or the fit is not usable
    (:func:`homography_problem`).

    With ``scale < 1`` the frames are described at reduced resolution, as
    FraunhoferIVI/SSP's ``low_scale_homo`` option (``models/video/
    models_consistency.py`` ``DiskFeatureRegistrator``: bilinear, antialiased
    resize by 1/4 before DISK; off in the released configs). Keypoints,
    matching and the robust fit (its thresholds in pixels of the resized
    frames) work on the resized frames, and :meth:`register` maps H back to
    full-frame pixels with :func:`registration_grid` (the repo applies the
    low-resolution H to its full-resolution logits unchanged). Registration
    time drops roughly with the pixel count; accuracy is that of the
    resized frames.

    Args:
        min_matches: fewest matches to fit H (>= 4).
        scale: resize factor of the frames before :meth:`describe_frames`,
            in (0, 1]; 1 keeps them as they are.
        init_cfg: mmengine initialisation config.

    Raises:
        ValueError: ``min_matches < 4``, ``scale`` outside (0, 1].
    """

    def __init__(self,
                 min_matches: int = 4,
                 scale: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if min_matches < 4:
            raise ValueError('a homography needs min_matches >= 4, got '
                             f'{min_matches}')
        if not 0 < scale <= 1:
            raise ValueError(f'scale must be in (0, 1], got {scale}')
        self.min_matches = min_matches
        self.scale = scale

    def log_name(self) -> str:
        """How warnings name this module."""
        return type(self).__name__

    def described_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        """(H, W) of the frames :meth:`describe_frames` sees for frames of
        ``size``: ``floor(scale * H), floor(scale * W)``.

        Raises:
            ValueError: the resized frames would be empty.
        """
        described = (math.floor(size[0] * self.scale),
                     math.floor(size[1] * self.scale))
        if min(described) < 1:
            raise ValueError(f'scale={self.scale} resizes {size[0]}x{size[1]}'
                             ' frames to nothing')
        return described

    def describe(self, frames: Tensor) -> List[Any]:
        """One description per frame of (N, 3, H, W) RGB 0-255 frames.

        Each description depends on its own frame only. With ``scale < 1``
        the frames are first resized (float32, bilinear, antialiased) to
        :meth:`described_size`.

        Raises:
            ValueError: frames that are not (N, 3, H, W), or too small for
                ``scale``.
        """
        if frames.dim() != 4 or frames.size(1) != 3:
            raise ValueError('frames must be (N, 3, H, W), got '
                             f'{tuple(frames.shape)}')
        if self.scale != 1:
            self.described_size(tuple(frames.shape[2:]))
            frames = F.interpolate(
                frames.float(),
                scale_factor=self.scale,
                mode='bilinear',
                align_corners=False,
                antialias=True)
        return self.describe_frames(frames)

    def describe_frames(self, frames: Tensor) -> List[Any]:
        """Descriptions of (N, 3, h, w) RGB 0-255 frames (uint8 or float),
        each from its own frame only."""
        raise NotImplementedError

    def match(self, desc_src: Any, desc_dst: Any,
              size: Tuple[int, int]) -> Tuple[Any, Any]:
        """Matched points (M, 2) (x, y) pixels of the source and of the
        destination frame of size (H, W), row i matching row i."""
        raise NotImplementedError

    def estimate(self, points_src: Any, points_dst: Any) -> Optional[Tensor]:
        """Robust fit of H (3, 3) to >= ``min_matches`` matched points, or
        None when it finds none; not yet checked by
        :func:`homography_problem`."""
        raise NotImplementedError

    def _identity_with_warning(self, reason: str) -> Tensor:
        print_log(f'{self.log_name()}: {reason}; using the identity',
                  'current', logging.WARNING)
        return torch.eye(3, dtype=torch.float64)

    def fit(self, points_src: Any, points_dst: Any) -> Tensor:
        """Homography from matched points, or I (with a warning).

        Args:
            points_src: (M, 2) (x, y) pixels in frame t-1 (tensor or array,
                as :meth:`match` gives them).
            points_dst: (M, 2) (x, y) pixels in frame t.

        Returns:
            Tensor: (3, 3) float64 H with ``points_dst ~ H points_src``, on
            the CPU; I when M < ``min_matches`` or :meth:`estimate` gives no
            usable H.
        """
        num = len(points_src)
        if num < self.min_matches:
            return self._identity_with_warning(
                f'{num} matches < min_matches={self.min_matches}')
        homography = self.estimate(points_src, points_dst)
        problem = homography_problem(homography)
        if problem is not None:
            return self._identity_with_warning(f'{problem} from {num} matches')
        return homography.detach().double().cpu()

    def register_pair(self, desc_src: Any, desc_dst: Any,
                      size: Tuple[int, int]) -> Tensor:
        """(3, 3) float64 CPU H of one frame pair of described size
        (H, W)."""
        return self.fit(*self.match(desc_src, desc_dst, size))

    def register(self, desc_src: Sequence, desc_dst: Sequence,
                 size: Tuple[int, int]) -> Tensor:
        """Homographies from descriptions of frames t-1 and t.

        Args:
            desc_src: N descriptions of frames t-1 (from :meth:`describe`).
            desc_dst: N descriptions of frames t.
            size: (H, W) of the full frames in pixels (before ``scale``).

        Returns:
            Tensor: (N, 3, 3) float32 H mapping pixel coordinates of frame
            t-1 to frame t, on the CPU.

        Raises:
            ValueError: ``desc_src`` and ``desc_dst`` differ in length.
        """
        if len(desc_src) != len(desc_dst):
            raise ValueError('need one destination description per source '
                             f'description, got {len(desc_src)} and '
                             f'{len(desc_dst)}')
        described = self.described_size((int(size[0]), int(size[1])))
        with torch.no_grad():
            homographies = torch.stack([
                self.register_pair(src, dst, described)
                for src, dst in zip(desc_src, desc_dst)
            ])
        if self.scale != 1:
            grid = registration_grid(self.scale)
            homographies = torch.linalg.inv(grid) @ homographies @ grid
        return homographies.float()

    def forward(self, frames_src: Tensor, frames_dst: Tensor) -> Tensor:
        """Homographies from frames t-1 (source) to frames t (destination).

        ``register(describe(frames_src), describe(frames_dst), (H, W))``.

        Args:
            frames_src: (N, 3, H, W) RGB frames t-1, uint8 or float 0-255.
            frames_dst: (N, 3, H, W) RGB frames t, same shape and range.

        Returns:
            Tensor: (N, 3, 3) float32 H mapping pixel coordinates of frame
            t-1 to frame t, on the device of ``frames_src``.

        Raises:
            ValueError: the frames are not (N, 3, H, W) of the same shape.
        """
        if frames_src.dim() != 4 or frames_src.size(1) != 3 or (
                frames_src.shape != frames_dst.shape):
            raise ValueError('frames must both be (N, 3, H, W), got '
                             f'{tuple(frames_src.shape)} and '
                             f'{tuple(frames_dst.shape)}')
        homographies = self.register(
            self.describe(frames_src), self.describe(frames_dst),
            tuple(frames_src.shape[2:]))
        return homographies.to(frames_src.device)
