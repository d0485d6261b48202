# Copyright (c) mmvseg contributors. All rights reserved.
"""Common interface of the global registration modules (methods.md §1.3).

A registration module estimates the homography ``H_{t-1->t}`` that maps
pixel coordinates of frame t-1 (source) to frame t (destination), in two
stages:

- :meth:`BaseRegistration.describe`: per-frame descriptions (keypoints and
  descriptors, or whatever a method needs), computed for each frame on its
  own;
- :meth:`BaseRegistration.register`: homographies from the descriptions of
  the source and destination frames.

``forward(frames_src, frames_dst)`` chains both. A causal model can keep
the description of frame t-1 and describe each frame once instead of twice
(``SSP.predict_clip``); since a description depends on its own frame only,
this gives the same homographies as ``forward`` on each pair.
"""
import logging
from typing import Any, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

#: Smallest ``|det H|`` accepted from a fit (methods.md §1.3, mmvseg's
#: choice: below it H is treated as degenerate).
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


class BaseRegistration(BaseModule):
    """Frame-to-frame homographies from per-frame descriptions (§1.3).

    Subclasses implement :meth:`describe` and either :meth:`register_pair`
    or the two stages it chains by default, :meth:`match` (matched points
    of two descriptions) and :meth:`estimate` (a robust fit); :meth:`fit`
    wraps :meth:`estimate` with the fallbacks shared by all methods: the
    identity, with a warning naming the reason and the number of matches,
    when there are fewer than ``min_matches`` matches or the fit is not
    usable (:func:`homography_problem`).

    Args:
        min_matches: fewest matches to fit H (>= 4).
        init_cfg: mmengine initialisation config.

    Raises:
        ValueError: ``min_matches < 4``.
    """

    def __init__(self,
                 min_matches: int = 4,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if min_matches < 4:
            raise ValueError('a homography needs min_matches >= 4, got '
                             f'{min_matches}')
        self.min_matches = min_matches

    def log_name(self) -> str:
        """How warnings name this module."""
        return type(self).__name__

    def describe(self, frames: Tensor) -> List[Any]:
        """One description per frame of (N, 3, H, W) RGB 0-255 frames.

        Each description depends on its own frame only.
        """
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
        """(3, 3) float64 CPU H of one frame pair of size (H, W)."""
        return self.fit(*self.match(desc_src, desc_dst, size))

    def register(self, desc_src: Sequence, desc_dst: Sequence,
                 size: Tuple[int, int]) -> Tensor:
        """Homographies from descriptions of frames t-1 and t.

        Args:
            desc_src: N descriptions of frames t-1 (from :meth:`describe`).
            desc_dst: N descriptions of frames t.
            size: (H, W) of the frames in pixels.

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
        size = (int(size[0]), int(size[1]))
        with torch.no_grad():
            homographies = [
                self.register_pair(src, dst, size)
                for src, dst in zip(desc_src, desc_dst)
            ]
        return torch.stack(homographies).float()

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
