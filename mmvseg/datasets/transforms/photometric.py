# Copyright (c) mmvseg contributors. All rights reserved.
"""Photometric distortion and blur whose random draws can be shared by a
clip.

mmseg's ``PhotoMetricDistortion`` draws ``numpy.random`` inside each step, so
``TransformBroadcaster(share_random_params=True)`` cannot share them (it
shares only the results of methods decorated with ``@cache_randomness``,
``mmcv/transforms/wrappers.py``). Here every draw happens in one
``@cache_randomness`` method, as in mmdet's ``PhotoMetricDistortion``
(``_random_flags``).
"""
from typing import Optional

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import PhotoMetricDistortion
from numpy import random

from mmvseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class VideoPhotoMetricDistortion(PhotoMetricDistortion):
    """mmseg's ``PhotoMetricDistortion`` with all draws in one cached method.

    Same parameters, steps and distributions as mmseg (each step applied with
    probability 0.5): brightness, contrast (first or last, at random),
    saturation and hue in HSV, all on a uint8 BGR image. Inside
    ``TransformBroadcaster(share_random_params=True)`` every frame of a clip
    gets the same jitter (clip-consistent, the default of
    ``configs/_base_/datasets/camvid_video.py``); with
    ``share_random_params=False`` (or outside a broadcaster) each frame draws
    its own (TPS-style cross-frame augmentation).

    Required Keys:

    - img (np.ndarray): (H, W, 3) uint8 BGR.

    Modified Keys:

    - img

    Args:
        brightness_delta: maximum brightness shift, in grey levels.
        contrast_range: range of the contrast factor.
        saturation_range: range of the saturation factor.
        hue_delta: maximum hue shift, in OpenCV hue units (0..179).
    """

    @cache_randomness
    def _random_params(self) -> dict:
        """Draw every random parameter of one application.

        Returns:
            dict: ``brightness`` (float beta or None), ``contrast_first``
            (bool), ``contrast`` (float alpha or None), ``saturation`` (float
            alpha or None), ``hue`` (int shift or None); None = step skipped.
        """
        brightness = random.uniform(-self.brightness_delta,
                                    self.brightness_delta) \
            if random.randint(2) else None
        contrast_first = bool(random.randint(2))
        saturation = random.uniform(self.saturation_lower,
                                    self.saturation_upper) \
            if random.randint(2) else None
        hue = random.randint(-self.hue_delta, self.hue_delta) \
            if random.randint(2) and self.hue_delta > 0 else None
        contrast = random.uniform(self.contrast_lower, self.contrast_upper) \
            if random.randint(2) else None
        return dict(
            brightness=brightness,
            contrast_first=contrast_first,
            contrast=contrast,
            saturation=saturation,
            hue=hue)

    def _contrast(self, img: np.ndarray, alpha: Optional[float]) -> np.ndarray:
        return img if alpha is None else self.convert(img, alpha=alpha)

    def transform(self, results: dict) -> dict:
        """Distort ``results['img']`` with the (possibly shared) draws."""
        params = self._random_params()
        img = results['img']
        if params['brightness'] is not None:
            img = self.convert(img, beta=params['brightness'])
        if params['contrast_first']:
            img = self._contrast(img, params['contrast'])
        if params['saturation'] is not None:
            img = mmcv.bgr2hsv(img)
            img[:, :, 1] = self.convert(
                img[:, :, 1], alpha=params['saturation'])
            img = mmcv.hsv2bgr(img)
        if params['hue'] is not None:
            img = mmcv.bgr2hsv(img)
            img[:, :, 0] = (img[:, :, 0].astype(int) + params['hue']) % 180
            img = mmcv.hsv2bgr(img)
        if not params['contrast_first']:
            img = self._contrast(img, params['contrast'])
        results['img'] = img
        return results


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """OpenCV Gaussian blur of the image with probability ``prob``.

    ``cv2.GaussianBlur(img, (k, k), sigma)``; ``sigma=0`` lets OpenCV derive
    it from the kernel size, ``0.3 * ((k - 1) / 2 - 1) + 0.8`` (1.1 for
    k = 5): ETC's training augmentation
    (irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
    ``util/transform_video.py``, ``RandomGaussianBlur``, k = 5, p = 0.5).
    The draw is one ``@cache_randomness`` method, so
    ``TransformBroadcaster(share_random_params=True)`` blurs every frame of
    a clip or none. Label maps are not touched.

    Required Keys:

    - img (np.ndarray): (H, W, C) image.

    Modified Keys:

    - img

    Args:
        kernel_size: odd kernel side k, in pixels.
        sigma: Gaussian standard deviation in pixels (0: from k).
        prob: probability of blurring.

    Raises:
        ValueError: an even or non-positive ``kernel_size``, a negative
            ``sigma``, or ``prob`` outside [0, 1].
    """

    def __init__(self,
                 kernel_size: int = 5,
                 sigma: float = 0.0,
                 prob: float = 0.5) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f'kernel_size must be odd and positive, got {kernel_size}')
        if sigma < 0:
            raise ValueError(f'sigma must be >= 0, got {sigma}')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.kernel_size, self.sigma, self.prob = kernel_size, sigma, prob

    @cache_randomness
    def _do_blur(self) -> bool:
        return random.rand() < self.prob

    def transform(self, results: dict) -> dict:
        if self._do_blur():
            results['img'] = cv2.GaussianBlur(
                results['img'], (self.kernel_size, self.kernel_size),
                self.sigma)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(kernel_size={self.kernel_size}, '
                f'sigma={self.sigma}, prob={self.prob})')
