# Copyright (c) mmvseg contributors. All rights reserved.
"""Teacher logits saved per frame, read back as a segmentation field.

Layout, written by ``tools/misc/export_logits.py`` and read by
:class:`LoadTeacherLogits`: ``<root>/<video_id>/<frame stem>.npz``, where
``video_id`` is the frame's video in the dataset
(:meth:`mmvseg.datasets.BaseVideoSegDataset.load_videos`) and the stem is
the frame's file name without its extension (``<clip>/<frame>.npz`` of
FraunhoferIVI/SSP ``eval/vis/image.py --save-logits``). Each file holds one
(K, H, W) float array under the key ``arr_0`` (``numpy.savez_compressed``
with one positional array, as the repository writes it); float16 and
float32 are read alike.
"""
import os.path as osp
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform

from mmvseg.registry import TRANSFORMS

#: Array name inside a logits ``.npz``.
LOGITS_KEY = 'arr_0'
#: Extension of a logits file.
LOGITS_SUFFIX = '.npz'


def teacher_logits_path(root: str, video_id: str, img_path: str) -> str:
    """``<root>/<video_id>/<stem of img_path>.npz``: the logits file of a
    frame (see the module docstring)."""
    stem = osp.splitext(osp.basename(img_path))[0]
    return osp.join(root, str(video_id), stem + LOGITS_SUFFIX)


def read_teacher_logits(path: str, num_classes: int) -> np.ndarray:
    """Read and check the (K, H, W) logits stored in ``path``.

    Args:
        path: a ``.npz`` file with the array ``arr_0``.
        num_classes: the expected K.

    Returns:
        np.ndarray: (K, H, W) float32 logits.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a readable ``.npz`` (corrupt or
            truncated), has no ``arr_0``, or holds other than a finite 3-D
            float array with ``num_classes`` channels; the message names the
            file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: teacher logits file not found')
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = npz.files
            logits = npz[LOGITS_KEY] if LOGITS_KEY in files else None
    except Exception as e:  # noqa: B902
        # a damaged archive fails in zipfile, zlib, numpy's header parser
        # (ValueError, tokenize errors) or earlier (EOFError); a .npy file
        # is no context manager (TypeError)
        raise ValueError(f'{path}: cannot read the teacher logits (not an '
                         f'.npz, or corrupt or truncated: {e!r})') from e
    if logits is None:
        raise ValueError(f'{path}: no array {LOGITS_KEY!r} in the .npz (it '
                         f'holds {files})')
    if logits.ndim != 3 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(f'{path}: teacher logits must be a (K, H, W) float '
                         f'array, got {logits.dtype} {logits.shape}')
    if logits.shape[0] != num_classes:
        raise ValueError(f'{path}: {logits.shape[0]} classes, expected '
                         f'num_classes={num_classes}')
    if not np.isfinite(logits).all():
        raise ValueError(f'{path}: teacher logits hold NaN or inf')
    return logits.astype(np.float32, copy=False)


def resize_logits(logits: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Resize (K, H, W) logits to ``size`` (h, w).

    Bilinear with ``align_corners=False``, antialiased when shrinking
    (torch ``interpolate(..., antialias=True)``: a triangle filter widened
    by the scale factor, the linear kernel with antialiasing of the
    ``resize_right`` that FraunhoferIVI/SSP ``data/video/video_dataset.py``
    applies to saved logits; the two agree away from the borders and
    differ in the outermost pixels, which they extend differently).

    Returns:
        np.ndarray: (K, h, w) float32; ``logits`` itself when the size is
        already ``size``.
    """
    size = tuple(int(s) for s in size)
    if tuple(logits.shape[1:]) == size:
        return logits
    resized = F.interpolate(
        torch.from_numpy(np.ascontiguousarray(logits, np.float32))[None],
        size=size,
        mode='bilinear',
        align_corners=False,
        antialias=True)
    return resized[0].numpy()


@TRANSFORMS.register_module()
class LoadTeacherLogits(BaseTransform):
    """Load a frame's teacher logits as a segmentation field.

    Meant for one frame inside mmcv's ``TransformBroadcaster``, after the
    frame is loaded (``LoadFrameFromFile``, and any fixed ``Resize`` to the
    student's size) and before the random geometry. The logits of
    :func:`teacher_logits_path` are stored as ``teacher_logits`` (H, W, K)
    float32 and ``'teacher_logits'`` is appended to ``seg_fields``, so the
    transforms that move every segmentation field move them exactly like
    the label map: mmseg's ``Resize`` (also inside mmcv's ``RandomResize``)
    with nearest interpolation (the repository's scale-crop resizes logit
    maps with nearest too), ``RandomCrop`` (whose ``cat_max_ratio`` looks at
    ``gt_seg_map`` only) and ``RandomFlip``. :class:`PackVideoSegInputs`
    packs them as ``teacher_logits`` (K, H, W) of each frame's sample.

    Transforms that fill segmentation fields (``RandomRotate``'s and
    ``RandomCutOut``'s ``seg_pad_val``/``seg_fill_in``, ``RandomFlip``'s
    ``swap_seg_labels``) would write label values into the logits: leave
    them out of a pipeline with teacher logits. mmcv resizes with OpenCV,
    which takes at most 128 channels (OpenCV 5.0): K <= 128 with a resize.

    Required Keys:

    - img_path (str): names the file, with video_id.
    - video_id (str)
    - img_shape (tuple[int, int]): the frame's current (H, W).
    - seg_fields (list[str])

    Modified Keys:

    - seg_fields: ``'teacher_logits'`` appended.

    Added Keys:

    - teacher_logits (np.ndarray): (H, W, K) float32 at ``img_shape``.

    Args:
        logits_root: the folder of ``<video_id>/<frame>.npz`` files.
        num_classes: K, the teacher's number of classes.
        resize: resize logits whose size differs from the frame's current
            ``img_shape`` with :func:`resize_logits` (the repository's
            float32 at the teacher's size, resized when loading); False
            (default) requires files at that size (exported with
            ``--size``), which is checked.

    Raises:
        ValueError: ``num_classes`` < 1; (when called) logits of another size
            than the frame without ``resize``, see also
            :func:`read_teacher_logits`; the message names the file.
        FileNotFoundError: the frame's logits file does not exist (named).
        KeyError: ``img_shape`` or ``video_id`` is missing.
    """

    def __init__(self,
                 logits_root: str,
                 num_classes: int,
                 resize: bool = False) -> None:
        if isinstance(num_classes, bool) or not isinstance(
                num_classes, int) or num_classes < 1:
            raise ValueError(
                f'num_classes must be an int >= 1, got {num_classes!r}')
        self.logits_root = logits_root
        self.num_classes = num_classes
        self.resize = resize

    def transform(self, results: dict) -> dict:
        """Add ``teacher_logits`` (H, W, K) and its seg field."""
        img_path = results['img_path']
        for key in ('img_shape', 'video_id'):
            if key not in results:
                raise KeyError(f'{img_path}: {key} is missing; load the '
                               'frame (LoadFrameFromFile) of a video dataset '
                               'first')
        path = teacher_logits_path(self.logits_root, results['video_id'],
                                   img_path)
        logits = read_teacher_logits(path, self.num_classes)
        size = tuple(results['img_shape'][:2])
        if logits.shape[1:] != size:
            if not self.resize:
                raise ValueError(
                    f'{path}: teacher logits of size {logits.shape[1:]} '
                    f'(H, W), the frame {img_path} is {size} here; export '
                    'them at this size (--size) or set resize=True')
            logits = resize_logits(logits, size)
        results['teacher_logits'] = np.ascontiguousarray(
            logits.transpose(1, 2, 0))
        results['seg_fields'].append('teacher_logits')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(logits_root={self.logits_root!r}'
                f', num_classes={self.num_classes}, resize={self.resize})')
