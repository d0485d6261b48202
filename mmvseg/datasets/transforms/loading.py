# Copyright (c) mmvseg contributors. All rights reserved.
"""Per-frame loaders that fail with the file named.

Both are meant to run on one frame, e.g. inside mmcv's
``TransformBroadcaster``.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from mmvseg.registry import TRANSFORMS
from mmvseg.utils.io import (check_label, read_image, read_indexed_png,
                             read_label)

#: Label readers of :class:`LoadVideoAnnotations`: path -> (H, W) int64.
LABEL_READERS = dict(cv2=read_label, indexed_png=read_indexed_png)


@TRANSFORMS.register_module()
class LoadFrameFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` reading local files with clear errors.

    Decoding is OpenCV's (``mmvseg.utils.read_image``): ``img`` is (H, W, 3)
    uint8 **BGR** for ``color_type='color'``.

    Required Keys:

    - img_path

    Modified Keys:

    - img (np.ndarray): (H, W, 3) uint8, or float32 with ``to_float32``.
    - img_shape (tuple[int, int]): (H, W).
    - ori_shape (tuple[int, int]): (H, W).

    Args:
        to_float32: convert the image to float32.
        color_type: ``'color'`` (3-channel BGR) or ``'unchanged'``.

    Raises:
        FileNotFoundError: the image file does not exist (named).
        ValueError: the file is empty, corrupt or truncated (named); an
            unsupported ``color_type``.
    """

    def __init__(self, to_float32: bool = False,
                 color_type: str = 'color') -> None:
        if color_type not in ('color', 'unchanged'):
            raise ValueError("color_type must be 'color' or 'unchanged', "
                             f'got {color_type!r}')
        super().__init__(to_float32=to_float32, color_type=color_type)

    def transform(self, results: dict) -> dict:
        """Load ``results['img_path']`` into ``results['img']``."""
        img = read_image(results['img_path'], flag=self.color_type)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadVideoAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` for frames that may have no label.

    The label of a frame is read with ``mmvseg.utils.read_label`` (grey
    maps of 8 or 16 bits with OpenCV, palette PNGs as their indices, as
    mmseg's default Pillow decoding does) or, with
    ``label_reader='indexed_png'``, with ``mmvseg.utils.read_indexed_png``
    (Pillow, 8-bit palette "P" or grayscale "L" PNGs only, e.g. DAVIS object
    ids); ``reduce_zero_label`` and ``label_map`` are
    applied as mmseg does (reduce first: 0 -> 255, v -> v - 1; then
    ``old -> new`` from the unmapped values), and the result is checked: its
    size must be the frame's original image size ``ori_shape`` (so the
    transform also works after a test-time ``Resize``) and its values must
    be in ``[0, num_classes)`` or ``ignore_index``.

    A frame whose ``seg_map_path`` is None gets a placeholder ``gt_seg_map``
    filled with ``ignore_index`` at its ``ori_shape`` (and ``'gt_seg_map'``
    in its ``seg_fields``), so that all frames of a clip carry the same keys
    through every transform: mmcv's ``TransformBroadcaster`` collates only
    the keys of the first frame (``KeyError`` when a later frame lacks one),
    and some transforms add keys only for frames with a map (mmcv
    ``RandomFlip``: ``swap_seg_labels``). :class:`PackVideoSegInputs` drops
    the placeholder, so an unlabelled frame gets no ``gt_sem_seg``.

    Required Keys:

    - seg_map_path (str or None)
    - ori_shape (tuple[int, int]): set by :class:`LoadFrameFromFile`.
    - seg_fields (list[str])
    - reduce_zero_label (bool, optional): defaults to False.
    - label_map (dict[int, int], optional)
    - num_classes (int, optional): values are checked only when present.

    Modified Keys:

    - seg_fields: ``'gt_seg_map'`` appended.

    Added Keys:

    - gt_seg_map (np.ndarray): (H, W) uint8; all ``ignore_index`` when
      unlabelled.

    Args:
        reduce_zero_label: as in mmseg (deprecated there); None takes the
            dataset's value, a bool must equal it.
        ignore_index: the value accepted besides the classes.
        label_reader: ``'cv2'`` (default) or ``'indexed_png'``, see above.

    Raises:
        FileNotFoundError: the label file does not exist (named).
        ValueError: an unknown ``label_reader``; a corrupt/truncated or
            multi-channel label (with ``'indexed_png'``: a PNG of another
            mode than "P"/"L"), values beyond uint8, a size other than
            ``ori_shape``, values outside the classes and not
            ``ignore_index``, or a ``reduce_zero_label`` different from the
            dataset's; the message names the file.
        KeyError: ``ori_shape`` is missing (load the image first).
    """

    def __init__(self,
                 reduce_zero_label: Optional[bool] = None,
                 ignore_index: int = 255,
                 label_reader: str = 'cv2') -> None:
        super().__init__(reduce_zero_label=reduce_zero_label)
        if label_reader not in LABEL_READERS:
            raise ValueError(f'label_reader must be one of '
                             f'{sorted(LABEL_READERS)}, got {label_reader!r}')
        self.ignore_index = ignore_index
        self.label_reader = label_reader

    def transform(self, results: dict) -> dict:
        """Load the label, or the placeholder of an unlabelled frame."""
        if results.get('seg_map_path') is not None:
            return super().transform(results)
        if 'ori_shape' not in results:
            raise KeyError(f'{results.get("img_path")}: ori_shape is missing; '
                           'load the image (LoadFrameFromFile) first')
        results['gt_seg_map'] = np.full(results['ori_shape'][:2],
                                        self.ignore_index, np.uint8)
        results['seg_fields'].append('gt_seg_map')
        return results

    def _load_seg_map(self, results: dict) -> None:
        """Read, map and check ``results['seg_map_path']``."""
        path = results['seg_map_path']
        if 'ori_shape' not in results:
            raise KeyError(f'{path}: ori_shape is missing; load the image '
                           '(LoadFrameFromFile) before its label')
        reduce_zero_label = results.get('reduce_zero_label', False)
        if self.reduce_zero_label is not None \
                and self.reduce_zero_label != reduce_zero_label:
            raise ValueError(
                f'{path}: the dataset has reduce_zero_label='
                f'{reduce_zero_label}, {self.__class__.__name__} has '
                f'{self.reduce_zero_label}')
        label = LABEL_READERS[self.label_reader](path)
        if label.size and (label.min() < 0 or label.max() > 255):
            raise ValueError(f'{path}: label values must fit in uint8, got '
                             f'[{label.min()}, {label.max()}]')
        if reduce_zero_label:
            label = np.where(label == 0, 255, label - 1)
            label[label == 254] = 255
        label_map = results.get('label_map')
        if label_map:
            mapped = label.copy()
            for old_id, new_id in label_map.items():
                mapped[label == old_id] = new_id
            label = mapped
        check_label(
            label,
            path,
            img_shape=results['ori_shape'],
            num_classes=results.get('num_classes'),
            ignore_index=self.ignore_index)
        results['gt_seg_map'] = label.astype(np.uint8)
        results['seg_fields'].append('gt_seg_map')

    def __repr__(self) -> str:
        reader = ('' if self.label_reader == 'cv2' else
                  f', label_reader={self.label_reader!r}')
        return (f'{self.__class__.__name__}('
                f'reduce_zero_label={self.reduce_zero_label}, '
                f'ignore_index={self.ignore_index}{reader})')
