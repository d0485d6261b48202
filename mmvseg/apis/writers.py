# Copyright (c) mmvseg contributors. All rights reserved.
"""Per-frame outputs of video inference: an overlay mp4 with a legend,
indexed label PNGs, and a JSON summary.

The overlay blends the dataset palette into the frame exactly as mmseg's
``SegLocalVisualizer._draw_sem_seg`` (``mmseg/visualization/
local_visualizer.py``: ``image * (1 - alpha) + colour * alpha``, cast to
uint8), the drawing that ``tools/test.py --show-dir`` uses through
``VideoSegVisualizationHook``, but with a palette lookup table instead of
one mask per class and without matplotlib's canvas, so that drawing a frame
costs a few milliseconds. The label PNGs use the layout of
``tools/analysis_tools/eval_tc.py`` (``--preds``: one sub-folder per clip,
files paired with the frames by sorted name) and
``tools/analysis_tools/eval_davis.py`` (``<results>/<video>/<frame>.png``,
indexed PNGs, as ``DAVISMetric`` writes them).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmengine
import numpy as np
from PIL import Image

#: PNG modes of :class:`LabelPNGWriter`.
PNG_MODES = ('palette', 'gray')

#: Legend layout (pixels) and font.
_SWATCH, _GAP, _ROW = 12, 6, 18
_FONT, _FONT_SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.4


def palette_lut(palette: Sequence[Sequence[int]]) -> np.ndarray:
    """(256, 3) uint8 RGB lookup table of a palette (missing ids black).

    Raises:
        ValueError: more than 256 colours, or a colour that is not 3 values
            in 0..255.
    """
    colours = np.asarray(palette, dtype=np.int64).reshape(-1, 3) \
        if len(palette) else np.zeros((0, 3), np.int64)
    if len(colours) > 256 or colours.size and (colours.min() < 0
                                               or colours.max() > 255):
        raise ValueError('a palette is at most 256 RGB colours in 0..255, '
                         f'got {len(colours)} colours in '
                         f'[{colours.min()}, {colours.max()}]')
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(colours)] = colours
    return lut


def overlay_labels(image: np.ndarray, labels: np.ndarray,
                   palette: Sequence[Sequence[int]],
                   opacity: float = 0.5) -> np.ndarray:
    """Blend the palette colours of a label map into an image.

    ``out = uint8(image * (1 - opacity) + colour(labels) * opacity)``, the
    formula of mmseg's ``SegLocalVisualizer._draw_sem_seg`` (``alpha`` =
    ``opacity``); ids without a palette entry blend with black, as there.

    Args:
        image: (H, W, 3) uint8 frame, RGB or BGR.
        labels: (H, W) integer class ids (0..255).
        palette: K RGB colours, id i -> ``palette[i]``.
        opacity: weight of the colours in [0, 1].

    Returns:
        np.ndarray: (H, W, 3) uint8 overlay in the channel order of
        ``image`` when it is RGB; pass a BGR image and get BGR by giving the
        palette reversed per colour (:func:`compose_frame` does).

    Raises:
        ValueError: sizes that differ, ids outside 0..255, an opacity
            outside [0, 1].
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f'opacity must be in [0, 1], got {opacity}')
    if labels.shape != image.shape[:2]:
        raise ValueError(f'labels of size {labels.shape} for an image of '
                         f'size {image.shape[:2]}')
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError('label ids must be in 0..255 to be drawn, got '
                         f'[{labels.min()}, {labels.max()}]')
    ids = labels.astype(np.uint8, copy=False)
    # the colour of every pixel: an OpenCV lookup per channel (several times
    # faster than numpy's fancy indexing)
    colours = cv2.LUT(cv2.merge([ids, ids, ids]),
                      palette_lut(palette).reshape(256, 1, 3))
    return (image * (1 - opacity) + colours * opacity).astype(np.uint8)


def draw_legend(classes: Sequence[str], palette: Sequence[Sequence[int]],
                width: int, ids: Optional[Sequence[int]] = None
                ) -> Tuple[np.ndarray, Dict[int, Tuple[int, int, int, int]]]:
    """A legend strip: one colour swatch and name per class, in rows.

    Args:
        classes: class names, id i -> ``classes[i]``.
        palette: RGB colours, id i -> ``palette[i]``.
        width: strip width in pixels (the frame width).
        ids: the ids to list, in this order (default: all classes).

    Returns:
        tuple: the (h, width, 3) uint8 **BGR** strip (dark grey background,
        white text) and, per listed id, the swatch box ``(x0, y0, x1, y1)``
        (exclusive ends) in strip pixels.

    Raises:
        ValueError: an id without a class name or colour.
    """
    ids = list(range(len(classes))) if ids is None else list(ids)
    missing = [i for i in ids if i >= len(classes) or i >= len(palette)]
    if missing:
        raise ValueError(f'legend ids {missing} have no class name or colour '
                         f'({len(classes)} classes, {len(palette)} colours)')
    entries, boxes = [], {}
    x, y = _GAP, _GAP
    for i in ids:
        text = f'{i} {classes[i]}'
        (text_w, _), _ = cv2.getTextSize(text, _FONT, _FONT_SCALE, 1)
        entry_w = _SWATCH + 4 + text_w
        if x > _GAP and x + entry_w > width - _GAP:
            x, y = _GAP, y + _ROW
        entries.append((i, text, x, y))
        boxes[i] = (x, y, x + _SWATCH, y + _SWATCH)
        x += entry_w + 2 * _GAP
    height = y + _ROW if entries else 0
    strip = np.full((height, width, 3), 40, np.uint8)
    for i, text, x, y in entries:
        colour = tuple(int(c) for c in palette[i][::-1])  # RGB -> BGR
        strip[y:y + _SWATCH, x:x + _SWATCH] = colour
        cv2.putText(strip, text, (x + _SWATCH + 4, y + _SWATCH - 2), _FONT,
                    _FONT_SCALE, (255, 255, 255), 1, cv2.LINE_AA)
    return strip, boxes


def compose_frame(image: np.ndarray, labels: np.ndarray,
                  palette: Sequence[Sequence[int]],
                  opacity: float = 0.5,
                  legend: Optional[np.ndarray] = None) -> np.ndarray:
    """The frame of the overlay video: the overlay, the legend below it.

    Args:
        image: (H, W, 3) uint8 BGR frame.
        labels: (H, W) class ids.
        palette: RGB colours.
        opacity: see :func:`overlay_labels`.
        legend: a (h, W, 3) BGR strip from :func:`draw_legend`, or None.

    Returns:
        np.ndarray: (H + h, W, 3) uint8 BGR.
    """
    bgr_palette = palette_lut(palette)[:, ::-1]
    out = overlay_labels(image, labels, bgr_palette, opacity)
    if legend is not None:
        out = np.concatenate([out, legend])
    return out


class OverlayVideoWriter:
    """Write overlay frames (with a legend strip) to an mp4 file.

    The codec is MPEG-4 part 2 (``mp4v``), which OpenCV's FFmpeg backend
    writes everywhere and common players read. Odd frame sizes are padded
    with black to even ones (the encoder needs them).

    Args:
        path: the .mp4 file to write (its folder is created).
        fps: frame rate of the output.
        classes: class names for the legend.
        palette: RGB colours.
        opacity: colour weight of the overlay.
        legend_ids: the ids of the legend (default all); None entries.
        with_legend: draw the legend strip.

    Raises:
        OSError: (on the first frame) OpenCV cannot open the file for
            writing (named).
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 classes: Sequence[str],
                 palette: Sequence[Sequence[int]],
                 opacity: float = 0.5,
                 legend_ids: Optional[Sequence[int]] = None,
                 with_legend: bool = True) -> None:
        if not fps or fps <= 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        self.path, self.fps = path, float(fps)
        self.classes, self.palette = list(classes), palette
        self.opacity = opacity
        self.legend_ids = legend_ids
        self.with_legend = with_legend
        self._legend: Optional[np.ndarray] = None
        self._writer: Optional[cv2.VideoWriter] = None
        self._size: Optional[Tuple[int, int]] = None
        self.frames = 0

    def _open(self, height: int, width: int) -> None:
        if self.with_legend:
            self._legend, _ = draw_legend(self.classes, self.palette, width,
                                          self.legend_ids)
            height += len(self._legend)
        size = (width + width % 2, height + height % 2)
        folder = osp.dirname(osp.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        self._writer = cv2.VideoWriter(self.path,
                                       cv2.VideoWriter_fourcc(*'mp4v'),
                                       self.fps, size)
        if not self._writer.isOpened():
            raise OSError(f'{self.path}: OpenCV cannot write an mp4 video '
                          'there (check the folder and the .mp4 extension)')
        self._size = size

    def write(self, image: np.ndarray, labels: np.ndarray) -> None:
        """Append one frame: (H, W, 3) uint8 BGR and its (H, W) labels.

        Raises:
            ValueError: a frame of another size than the first.
        """
        if self._writer is None:
            self._open(*image.shape[:2])
        frame = compose_frame(image, labels, self.palette, self.opacity,
                              self._legend)
        width, height = self._size
        if frame.shape[:2] != (height, width):
            if frame.shape[0] > height or frame.shape[1] > width:
                raise ValueError(
                    f'{self.path}: a frame of size {image.shape[:2]} after '
                    'frames of another size')
            frame = cv2.copyMakeBorder(frame, 0, height - frame.shape[0], 0,
                                       width - frame.shape[1],
                                       cv2.BORDER_CONSTANT, value=0)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        """Finish the file (nothing is written without frames)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class LabelPNGWriter:
    """Write each frame's label map as ``<out_dir>/<clip>/<frame>.png``.

    ``<frame>`` is the frame's name (its file stem for a folder of frames,
    so the predictions pair with the frames by sorted name, or its index
    ``%05d``). ``mode='palette'`` writes indexed ("P") PNGs with the
    palette (viewable, and read back as ids by
    :func:`mmvseg.utils.read_indexed_png` and
    :func:`mmvseg.utils.read_label`, the readers of ``eval_davis.py`` and
    ``eval_tc.py``); ``mode='gray'`` writes single-channel ("L") PNGs whose
    values are the ids, which any image reader (OpenCV too) reads as
    ids.

    Args:
        out_dir: root folder.
        clip: sub-folder name (the clip's name).
        palette: RGB colours of ``'palette'`` PNGs.
        mode: ``'palette'`` or ``'gray'``.

    Raises:
        ValueError: an unknown mode; (on write) ids outside 0..255.
        OSError: (on write) the file cannot be written (named).
    """

    def __init__(self,
                 out_dir: str,
                 clip: str,
                 palette: Sequence[Sequence[int]] = (),
                 mode: str = 'palette') -> None:
        if mode not in PNG_MODES:
            raise ValueError(f'mode must be one of {PNG_MODES}, got {mode!r}')
        self.folder = osp.join(out_dir, clip)
        self.mode = mode
        self._palette = palette_lut(palette).ravel().tolist()
        os.makedirs(self.folder, exist_ok=True)
        self.paths: List[str] = []

    def write(self, name: str, labels: np.ndarray) -> str:
        """Write the (H, W) ids of frame ``name``; returns the path."""
        path = osp.join(self.folder, f'{name}.png')
        if labels.size and (labels.min() < 0 or labels.max() > 255):
            raise ValueError(f'{path}: ids outside 0..255 cannot be written '
                             f'as a PNG, got [{labels.min()}, '
                             f'{labels.max()}]')
        img = Image.fromarray(labels.astype(np.uint8))  # mode "L"
        if self.mode == 'palette':
            img.putpalette(self._palette)  # "L" -> "P", indices kept
        try:
            img.save(path, compress_level=1)
        except OSError as e:
            raise OSError(f'{path}: cannot write the PNG ({e})') from e
        return path


def write_summary(path: str, summary: dict) -> None:
    """Write the run summary as JSON (``mmengine.dump``)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mmengine.dump(summary, path, file_format='json', indent=2)
