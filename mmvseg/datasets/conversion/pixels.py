# Copyright (c) mmvseg contributors. All rights reserved.
"""Pixel operations of the aerial video conversion.

Colour labels to stored ids (exact RGB lookup) and to train ids
(FraunhoferIVI/SSP ``convert_labels``), the resizes of frames and labels
that reproduce the repository's extraction (OpenCV cubic) and reading
(Pillow bilinear / nearest), and PNG writing.
"""
from typing import Mapping, Tuple

import cv2
import numpy as np
from PIL import Image

#: (width, height) in pixels.
Size = Tuple[int, int]


def colour_lut(colours: Mapping[Tuple[int, int, int], int],
               default: int = 0) -> np.ndarray:
    """Lookup table from packed RGB ``(r << 16) | (g << 8) | b`` to an id.

    Args:
        colours: RGB triple -> id (0..255).
        default: id of every other colour.

    Returns:
        np.ndarray: (2**24,) uint8.
    """
    lut = np.full(1 << 24, default, np.uint8)
    for (r, g, b), index in colours.items():
        lut[(r << 16) | (g << 8) | b] = index
    return lut


def rgb_to_index(bgr: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map every pixel's exact colour through ``lut`` (see :func:`colour_lut`).

    Args:
        bgr: (H, W, 3) uint8, OpenCV channel order.
        lut: (2**24,) uint8.

    Returns:
        np.ndarray: (H, W) uint8 ids.
    """
    key = (bgr[..., 2].astype(np.uint32) << 16) | \
        (bgr[..., 1].astype(np.uint32) << 8) | bgr[..., 0]
    return lut[key]


def to_train_ids(raw: np.ndarray, num_classes: int) -> np.ndarray:
    """FraunhoferIVI/SSP ``convert_labels`` (``data/datasets.py``).

    Stored id 0 (background / unlabeled) becomes 255, every other id ``v``
    becomes ``v - 1``, and ids that end up ``>= num_classes`` become 255.

    Args:
        raw: (H, W) uint8 stored ids.
        num_classes: K.

    Returns:
        np.ndarray: (H, W) uint8 in ``[0, K) ∪ {255}``.
    """
    ids = raw.astype(np.int16) - 1
    ids[(raw == 0) | (ids >= num_classes)] = 255
    return ids.astype(np.uint8)


def resize_frame(bgr: np.ndarray, size: Size) -> np.ndarray:
    """``cv2.resize`` to ``size`` = (W, H) with ``INTER_CUBIC``, as
    ``tools/extract_frames_*.py --resize`` of FraunhoferIVI/SSP."""
    return cv2.resize(bgr, tuple(size), interpolation=cv2.INTER_CUBIC)


def pil_resize_frame(bgr: np.ndarray, size: Size) -> np.ndarray:
    """Pillow bilinear resize to ``size`` = (W, H) of a BGR frame, as
    FraunhoferIVI/SSP reads a frame (``Image.open(...).resize(...,
    Image.BILINEAR)``, ``data/video/video_dataset.py``); BGR in and out."""
    rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
    out = np.asarray(rgb.resize(tuple(size), Image.Resampling.BILINEAR))
    return np.ascontiguousarray(out[..., ::-1])


def pil_resize_label(label: np.ndarray, size: Size) -> np.ndarray:
    """Pillow nearest resize to ``size`` = (W, H) of an (H, W) uint8 label,
    as FraunhoferIVI/SSP reads a label (``Image.NEAREST``)."""
    if label.shape[::-1] == tuple(size):
        return label
    return np.asarray(
        Image.fromarray(label).resize(tuple(size), Image.Resampling.NEAREST))


def write_png(path: str, img: np.ndarray) -> None:
    """Write ``img`` (uint8 (H, W) or (H, W, 3) BGR) as a PNG with OpenCV.

    Raises:
        OSError: the file cannot be written (named).
    """
    if not cv2.imwrite(path, img):
        raise OSError(f'{path}: cannot write the PNG')
