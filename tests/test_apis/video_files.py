# Copyright (c) mmvseg contributors. All rights reserved.
"""Generated videos for the ``mmvseg.apis`` tests (tiny, deterministic)."""
import os
import os.path as osp
from typing import List

import cv2
import numpy as np


def pan_frames(num: int = 6, height: int = 48, width: int = 64,
               step: int = 3, seed: int = 0) -> List[np.ndarray]:
    """``num`` (height, width, 3) uint8 BGR frames of a smooth random
    texture seen by a camera panning ``step`` px a frame."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 4 + 2,
                                  (width + step * num) // 4 + 2, 3), np.uint8)
    world = cv2.resize(small, (small.shape[1] * 4, small.shape[0] * 4),
                       interpolation=cv2.INTER_CUBIC)
    return [
        np.ascontiguousarray(world[:height, step * t:step * t + width])
        for t in range(num)
    ]


def write_folder(folder: str, frames: List[np.ndarray],
                 prefix: str = 'f') -> List[str]:
    """PNG files ``<prefix>_<t:03d>.png``; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for t, frame in enumerate(frames):
        path = osp.join(folder, f'{prefix}_{t:03d}.png')
        assert cv2.imwrite(path, frame)
        paths.append(path)
    return paths


def write_video(path: str, frames: List[np.ndarray], fourcc: str = 'FFV1',
                fps: float = 10.) -> str:
    """A video file; ``FFV1`` in an mp4 is lossless (decodes to the same
    pixels), ``MJPG`` (avi) and ``mp4v`` are lossy."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps,
                             (width, height))
    assert writer.isOpened(), path
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def corrupt_mjpeg_frame(path: str, index: int) -> None:
    """Zero the JPEG payload of frame ``index`` of an MJPG avi in place
    (the container stays valid; FFmpeg fails to decode that frame only)."""
    data = bytearray(open(path, 'rb').read())
    starts, pos = [], data.find(b'\xff\xd8\xff')
    while pos >= 0:
        starts.append(pos)
        pos = data.find(b'\xff\xd8\xff', pos + 3)
    start = starts[index]
    end = data.find(b'\xff\xd9', start)
    data[start + 2:end] = bytes(end - start - 2)
    with open(path, 'wb') as f:
        f.write(bytes(data))


def truncate_file(path: str, keep: float = 0.5) -> None:
    """Cut a file to a fraction of its bytes (a truncated image)."""
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])
