# Copyright (c) mmvseg contributors. All rights reserved.
"""Tiny videos written into ``tmp_path`` for the dataset tests."""
import os
import os.path as osp
from typing import Callable, Dict, Iterable, Tuple

import cv2
import numpy as np
import pytest

CLASSES = ('a', 'b', 'c')


def _write_png(path: str, array: np.ndarray) -> str:
    """Write ``array`` (BGR or single channel) as a PNG, creating folders."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array)
    return path


@pytest.fixture
def write_png() -> Callable[[str, np.ndarray], str]:
    """``write_png(path, array)``: write a PNG, creating its folders."""
    return _write_png


@pytest.fixture
def make_videos(tmp_path) -> Callable[..., str]:
    """Factory of the generic layout ``root/img/<video>/<i:05d>.png``.

    Call it with ``{video: (num_frames, labelled_indices)}``; images are
    (8, 12, 3) random uint8 (distinct per frame), labels at
    ``root/ann/<video>/`` have values in ``[0, 3)``. Returns the root.
    """

    def _make(videos: Dict[str, Tuple[int, Iterable[int]]],
              height: int = 8,
              width: int = 12) -> str:
        root = str(tmp_path / 'videos')
        rng = np.random.default_rng(0)
        for name, (num_frames, labelled) in videos.items():
            os.makedirs(osp.join(root, 'img', name), exist_ok=True)
            for i in range(num_frames):
                _write_png(
                    osp.join(root, 'img', name, f'{i:05d}.png'),
                    rng.integers(0, 256, (height, width, 3), np.uint8))
                if i in set(labelled):
                    _write_png(
                        osp.join(root, 'ann', name, f'{i:05d}.png'),
                        rng.integers(0, 3, (height, width), np.uint8))
        return root

    return _make


@pytest.fixture
def build_dataset() -> Callable[..., object]:
    """Factory of a ``BaseVideoSegDataset`` over a ``make_videos`` root."""
    from mmvseg.datasets import BaseVideoSegDataset

    def _build(root: str, **kwargs) -> BaseVideoSegDataset:
        kwargs.setdefault('metainfo', dict(classes=CLASSES))
        return BaseVideoSegDataset(
            data_root=root,
            data_prefix=dict(img_path='img', seg_map_path='ann'),
            img_suffix='.png',
            **kwargs)

    return _build
