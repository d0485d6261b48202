# Copyright (c) mmvseg contributors. All rights reserved.
"""Outputs of video inference: the overlay (mmseg's blend), its legend, the
overlay mp4, label PNGs and the summary."""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.visualization import SegLocalVisualizer
from PIL import Image

from mmvseg.apis import (LabelPNGWriter, OverlayVideoWriter, compose_frame,
                         draw_legend, overlay_labels, write_summary)
from mmvseg.utils import read_indexed_png, read_label

CLASSES = ['sky', 'road', 'car', 'tree']
PALETTE = [[128, 128, 128], [128, 64, 128], [64, 0, 128], [128, 128, 0]]


def example(height=24, width=32, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3), np.uint8)
    labels = np.zeros((height, width), np.int64)
    labels[height // 3:] = 1
    labels[:, width // 2:] = 2
    labels[:4, :4] = 3
    return image, labels


@pytest.mark.parametrize('opacity', [0.5, 0.8])
def test_overlay_is_mmseg_seg_local_visualizer_blend(opacity):
    """The same pixels as SegLocalVisualizer (what tools/test.py --show-dir
    draws through VideoSegVisualizationHook)."""
    image, labels = example()
    visualizer = SegLocalVisualizer(name=f'overlay_test_{opacity}',
                                    alpha=opacity)
    expected = visualizer._draw_sem_seg(
        image, PixelData(data=torch.from_numpy(labels)[None]), CLASSES,
        PALETTE, False)
    np.testing.assert_array_equal(
        overlay_labels(image, labels, PALETTE, opacity), expected)
    # BGR frames: the same blend with the colours reversed
    bgr = compose_frame(image[..., ::-1], labels, PALETTE, opacity)
    np.testing.assert_array_equal(bgr, expected[..., ::-1])


def test_legend_swatches_are_the_palette_and_every_class_is_listed():
    strip, boxes = draw_legend(CLASSES, PALETTE, width=120)
    assert strip.dtype == np.uint8 and strip.shape[1] == 120
    assert sorted(boxes) == [0, 1, 2, 3]
    for i, (x0, y0, x1, y1) in boxes.items():
        assert x1 <= 120 and y1 <= strip.shape[0]
        swatch = strip[y0:y1, x0:x1].reshape(-1, 3)
        assert (swatch == PALETTE[i][::-1]).all()  # BGR
        # the name is drawn right of the swatch (white text on grey)
        assert strip[y0:y1, x1 + 4:x1 + 30].max() > 200
    # narrow frames wrap the legend onto more rows
    narrow, _ = draw_legend(CLASSES, PALETTE, width=60)
    assert narrow.shape[0] > strip.shape[0]
    # a subset, in the given order
    _, some = draw_legend(CLASSES, PALETTE, width=120, ids=[2, 0])
    assert list(some) == [2, 0]


def test_legend_ids_need_a_name_and_a_colour():
    with pytest.raises(ValueError, match=r'legend ids \[5\] have no class'):
        draw_legend(CLASSES, PALETTE, 100, ids=[0, 5])


def test_compose_puts_the_legend_under_the_frame():
    image, labels = example()
    legend, _ = draw_legend(CLASSES, PALETTE, image.shape[1])
    frame = compose_frame(image, labels, PALETTE, 0.5, legend)
    assert frame.shape == (image.shape[0] + legend.shape[0], image.shape[1],
                           3)
    np.testing.assert_array_equal(frame[image.shape[0]:], legend)


def test_overlay_checks_its_inputs():
    image, labels = example()
    with pytest.raises(ValueError, match='opacity must be in'):
        overlay_labels(image, labels, PALETTE, 1.5)
    with pytest.raises(ValueError, match='labels of size'):
        overlay_labels(image, labels[1:], PALETTE)
    with pytest.raises(ValueError, match='ids must be in 0..255'):
        overlay_labels(image, labels + 300, PALETTE)


def test_overlay_video_frames_and_legend(tmp_path):
    image, labels = example(height=35, width=45)  # odd sizes are padded
    path = str(tmp_path / 'sub' / 'out.mp4')
    writer = OverlayVideoWriter(path, 7.5, CLASSES, PALETTE, opacity=0.6)
    for _ in range(3):
        writer.write(image, labels)
    writer.close()
    capture = cv2.VideoCapture(path)
    assert capture.get(cv2.CAP_PROP_FPS) == 7.5
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    legend, _ = draw_legend(CLASSES, PALETTE, 45)
    expected = compose_frame(image, labels, PALETTE, 0.6, legend)
    assert len(frames) == 3 == writer.frames
    height, width = expected.shape[:2]
    assert frames[0].shape == (height + height % 2, width + width % 2, 3)
    # mp4v is lossy: close to the composed frame on average
    diff = np.abs(frames[0][:height, :width].astype(int) - expected)
    assert diff.mean() < 12


def test_overlay_video_errors(tmp_path):
    image, labels = example()
    (tmp_path / 'file').write_text('x')
    writer = OverlayVideoWriter(str(tmp_path / 'file' / 'out.mp4'), 10,
                                CLASSES, PALETTE)
    with pytest.raises(OSError):
        writer.write(image, labels)
    with pytest.raises(ValueError, match='fps must be > 0'):
        OverlayVideoWriter(str(tmp_path / 'a.mp4'), 0, CLASSES, PALETTE)


def test_palette_pngs_keep_ids_and_colours(tmp_path):
    _, labels = example()
    writer = LabelPNGWriter(str(tmp_path), 'clip', PALETTE)
    path = writer.write('f_000', labels)
    assert path == str(tmp_path / 'clip' / 'f_000.png')
    with Image.open(path) as img:
        assert img.mode == 'P'
        assert img.getpalette()[:12] == sum(PALETTE, [])
    np.testing.assert_array_equal(read_indexed_png(path), labels)


def test_gray_pngs_read_back_with_opencv(tmp_path):
    _, labels = example()
    path = LabelPNGWriter(str(tmp_path), 'clip', mode='gray').write(
        'f', labels)
    with Image.open(path) as img:
        assert img.mode == 'L'
    np.testing.assert_array_equal(read_label(path), labels)
    np.testing.assert_array_equal(read_indexed_png(path), labels)


def test_png_writer_errors(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        LabelPNGWriter(str(tmp_path), 'clip', mode='rgb')
    writer = LabelPNGWriter(str(tmp_path), 'clip')
    with pytest.raises(ValueError, match=r'f.png: ids outside 0..255'):
        writer.write('f', np.full((2, 2), 256))


def test_summary_is_json(tmp_path):
    path = str(tmp_path / 'out' / 'run.json')
    write_summary(path, dict(frames=3, fps_out=1.5, skipped=[]))
    assert json.load(open(path)) == dict(frames=3, fps_out=1.5, skipped=[])
