# Copyright (c) mmvseg contributors. All rights reserved.
"""Readers that name the file and the problem when the input is bad.

A missing file raises :class:`FileNotFoundError`; an unreadable, corrupt or
malformed file (truncated image, label of the wrong size or with values
outside the classes, flow file with a wrong magic number or shape) raises
:class:`ValueError`. Both messages start with the path, so a bad file in a
large dataset can be found without a debugger.
"""
import io
import os
import os.path as osp
from typing import Iterable, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

FLO_MAGIC = 202021.25
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_END = b'IEND\xaeB`\x82'
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def _read_bytes(path: str) -> bytes:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    with open(path, 'rb') as f:
        return f.read()


def list_images(folder: str) -> List[str]:
    """Sorted paths of the image files (:data:`IMAGE_EXTENSIONS`, any case)
    directly in ``folder`` (sub-folders are skipped), e.g. the frames of one
    clip.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: it holds no image file.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: clip folder not found')
    files = sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if name.lower().endswith(IMAGE_EXTENSIONS)
        and osp.isfile(osp.join(folder, name)))
    if not files:
        raise ValueError(f'{folder}: no image file')
    return files


def read_image(path: str, flag: str = 'color') -> np.ndarray:
    """Decode an image file with OpenCV.

    Args:
        path: image file.
        flag: ``'color'`` for (H, W, 3) uint8 **BGR**, ``'unchanged'`` for the
            stored channels and dtype (label maps: (H, W)).

    Returns:
        np.ndarray: the decoded pixels.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is empty, corrupt or truncated.
    """
    content = _read_bytes(path)
    if not content:
        raise ValueError(f'{path}: empty file')
    flags = {'color': cv2.IMREAD_COLOR, 'unchanged': cv2.IMREAD_UNCHANGED}
    img = cv2.imdecode(np.frombuffer(content, np.uint8), flags[flag])
    if img is None:
        raise ValueError(f'{path}: cannot decode the image '
                         '(corrupt or truncated file)')
    if path.lower().endswith('.png') and not content.rstrip().endswith(
            b'IEND\xaeB`\x82'):
        raise ValueError(f'{path}: truncated PNG (no IEND chunk)')
    return img


def read_indexed_png(path: str) -> np.ndarray:
    """Read the stored values of a palette or grayscale PNG with Pillow.

    OpenCV expands a palette ("P") PNG to its colours; this reader keeps the
    palette indices as stored, like ``np.array(PIL.Image.open(path))`` in the
    DAVIS evaluator (davisvideochallenge/davis2017-evaluation
    ``davis2017/davis.py``, ``davis2017/results.py``). A grayscale ("L") PNG
    gives its grey values.

    Args:
        path: PNG file of mode "P" or "L" (8 bits per pixel).

    Returns:
        np.ndarray: (H, W) int64 indices (0..255).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is empty, not a PNG, corrupt or truncated, or of
            another mode (e.g. RGB, 16-bit grey).
    """
    content = _read_bytes(path)
    if not content:
        raise ValueError(f'{path}: empty file')
    if not content.startswith(PNG_SIGNATURE):
        raise ValueError(f'{path}: not a PNG file')
    if not content.rstrip().endswith(PNG_END):
        raise ValueError(f'{path}: truncated PNG (no IEND chunk)')
    try:
        with Image.open(io.BytesIO(content)) as img:
            img.load()
            mode = img.mode
            values = np.array(img)
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f'{path}: cannot decode the PNG (corrupt or '
                         f'truncated file: {e})') from e
    if mode not in ('P', 'L'):
        raise ValueError(f'{path}: expected a palette ("P") or grayscale '
                         f'("L") PNG, got mode "{mode}"')
    return values.astype(np.int64)


PNG_PALETTE_COLOUR_TYPE = 3  # IHDR colour type of an indexed PNG


def _is_palette_png(path: str) -> bool:
    """Whether ``path`` is a PNG whose IHDR says "indexed colour" (the colour
    type byte at offset 25 of the file); False for a missing file."""
    if not osp.isfile(path):
        return False
    with open(path, 'rb') as f:
        head = f.read(26)
    return (head.startswith(PNG_SIGNATURE) and len(head) == 26
            and head[25] == PNG_PALETTE_COLOUR_TYPE)


def read_label(path: str) -> np.ndarray:
    """Read a single-channel label map as (H, W) int64.

    A palette ("P") PNG gives its stored indices (as
    :func:`read_indexed_png`; OpenCV alone would expand it to colours), so
    the palette PNGs of mmseg's and mmvseg's writers read back as the ids
    they were written from. Any other file is decoded with OpenCV, unchanged
    (8- or 16-bit grey).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is corrupt, or holds more than one channel.
    """
    if _is_palette_png(path):
        return read_indexed_png(path)
    label = read_image(path, flag='unchanged')
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must have one channel, got '
                         f'shape {label.shape}')
    return label.astype(np.int64)


def check_label(label: np.ndarray,
                path: str,
                img_shape: Optional[Tuple[int, int]] = None,
                num_classes: Optional[int] = None,
                ignore_index: int = 255,
                extra_values: Iterable[int] = ()) -> None:
    """Check a label map against its image and the class list.

    Args:
        label: (H, W) integer label map (after any label mapping).
        path: the file it came from, for the message.
        img_shape: (H, W) of the image it annotates; skipped when None.
        num_classes: valid values are ``[0, num_classes)``, ``ignore_index``
            and ``extra_values``; skipped when None.
        ignore_index: the ignored value.
        extra_values: further accepted values.

    Raises:
        ValueError: size differs from the image, or a value is outside the
            classes and not ignored.
    """
    if img_shape is not None and tuple(label.shape[:2]) != tuple(
            img_shape[:2]):
        raise ValueError(
            f'{path}: label size {tuple(label.shape[:2])} (H, W) differs '
            f'from its image size {tuple(img_shape[:2])}')
    if num_classes is None:
        return
    values = np.unique(label)
    allowed = set(range(num_classes)) | {ignore_index} | set(extra_values)
    bad = [int(v) for v in values if int(v) not in allowed]
    if bad:
        raise ValueError(
            f'{path}: label values {bad} are outside the {num_classes} '
            f'classes [0, {num_classes}) and not the ignore index '
            f'{ignore_index}')


#: Name ending of flow files stored as int16 tenths of a pixel (TPS).
INT16_X10_SUFFIX = '_int16_x10.npy'
#: Largest |flow| (pixels) an int16 x 10 file can hold.
INT16_X10_MAX = np.iinfo(np.int16).max / 10


def read_flow(path: str,
              expected_hw: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read optical flow from a Middlebury ``.flo`` or a NumPy ``.npy`` file.

    A ``.flo`` file holds the float32 magic 202021.25, int32 width and height,
    then H*W*2 float32 values (u, v interleaved). A ``.npy`` file must hold an
    array of shape (H, W, 2). Flow is in pixels, channel 0 = x, 1 = y. A file
    whose name ends with ``_int16_x10.npy`` holds int16 tenths of a pixel (the
    precomputed flows of TPS, see :func:`write_flow_int16_x10`) and is divided
    by 10.

    Args:
        path: the flow file.
        expected_hw: (H, W) the flow must have; checked when given.

    Returns:
        np.ndarray: (H, W, 2) float32.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: unknown extension, wrong magic number, truncated data, or a
            shape other than (H, W, 2) / ``expected_hw``.
    """
    if path.endswith('.flo'):
        content = _read_bytes(path)
        if len(content) < 12:
            raise ValueError(f'{path}: too short for a .flo header')
        magic = np.frombuffer(content, np.float32, 1, 0)[0]
        if magic != np.float32(FLO_MAGIC):
            raise ValueError(f'{path}: wrong .flo magic number {magic} '
                             f'(expected {FLO_MAGIC})')
        w, h = (int(x) for x in np.frombuffer(content, np.int32, 2, 4))
        if w <= 0 or h <= 0:
            raise ValueError(f'{path}: invalid .flo size {w}x{h}')
        expected = 12 + 4 * 2 * w * h
        if len(content) != expected:
            raise ValueError(f'{path}: .flo of {w}x{h} needs {expected} '
                             f'bytes, the file has {len(content)}')
        flow = np.frombuffer(content, np.float32, 2 * w * h,
                             12).reshape(h, w, 2).copy()
    elif path.endswith('.npy'):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: file not found')
        try:
            flow = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise ValueError(f'{path}: not a readable .npy array ({e})')
        if flow.ndim != 3 or flow.shape[2] != 2:
            raise ValueError(f'{path}: flow must have shape (H, W, 2), got '
                             f'{flow.shape}')
        if path.endswith(INT16_X10_SUFFIX):
            if flow.dtype != np.int16:
                raise ValueError(f'{path}: an {INT16_X10_SUFFIX} file must '
                                 f'hold int16 values, got {flow.dtype}')
            flow = flow.astype(np.float32) / 10
        flow = flow.astype(np.float32)
    else:
        raise ValueError(f'{path}: unknown flow file type (expected .flo or '
                         '.npy)')
    if expected_hw is not None and tuple(flow.shape[:2]) != tuple(
            expected_hw):
        raise ValueError(f'{path}: flow size {tuple(flow.shape[:2])} (H, W) '
                         f'differs from the frame size {tuple(expected_hw)}')
    return flow


def _check_flow_array(path: str, flow: np.ndarray) -> np.ndarray:
    flow = np.asarray(flow, np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'{path}: flow must have shape (H, W, 2), got '
                         f'{flow.shape}')
    return flow


def write_flow(path: str, flow: np.ndarray) -> None:
    """Write (H, W, 2) float flow (pixels) as Middlebury ``.flo``.

    Raises:
        ValueError: ``flow`` is not (H, W, 2).
    """
    flow = _check_flow_array(path, flow)
    h, w = flow.shape[:2]
    with open(path, 'wb') as f:
        np.array([FLO_MAGIC], np.float32).tofile(f)
        np.array([w, h], np.int32).tofile(f)
        flow.tofile(f)


def write_flow_int16_x10(path: str, flow: np.ndarray) -> None:
    """Write (H, W, 2) flow (pixels) as int16 tenths of a pixel in ``.npy``.

    The format of the precomputed flows of TPS (xing0047/TPS
    ``tps/domain_adaptation/train_video_UDA.py`` reads them as
    ``np.load(path) / 10.0``): ``round(10 * flow)`` as
    int16, so values are kept to 0.05 px and must lie within
    +-:data:`INT16_X10_MAX` px. :func:`read_flow` reads files whose name
    ends with ``_int16_x10.npy`` back in pixels.

    Raises:
        ValueError: ``flow`` is not (H, W, 2), holds NaN/inf, or exceeds the
            int16 range.
    """
    flow = _check_flow_array(path, flow)
    if not np.isfinite(flow).all():
        raise ValueError(f'{path}: flow holds NaN or infinite values')
    peak = float(np.abs(flow).max()) if flow.size else 0.0
    if peak > INT16_X10_MAX:
        raise ValueError(f'{path}: |flow| up to {peak:.1f} px does not fit '
                         f'int16 x 10 (max {INT16_X10_MAX:.1f} px)')
    with open(path, 'wb') as f:
        np.save(f, np.round(flow * 10).astype(np.int16))
