# Copyright (c) mmvseg contributors. All rights reserved.
"""A tiny synthetic driving video in the CamVid SegNet layout.

:func:`generate_demo_camvid` writes frames that :class:`CamVidVideoDataset`
reads unchanged, for smoke tests, tutorials and CI: a textured street scene
pans sideways (camera motion) while a car, a pedestrian and a bicyclist move
across it. Every class is drawn in its CamVid palette colour with a
class-specific texture, so a small model separates the classes within a few
dozen iterations. The output only depends on the arguments (same bytes on
every run); existing files are overwritten.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

#: CamVid RGB palette of ids 0..10 and void (11), from the dataset README.
PALETTE = np.array(
    [[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128],
     [60, 40, 222], [128, 128, 0], [192, 128, 128], [64, 64, 128],
     [64, 0, 128], [64, 64, 0], [0, 128, 192], [0, 0, 0]],
    dtype=np.float32)
SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, \
    BICYCLIST, VOID = range(12)

#: split -> [(sequence, first frame number, number of frames, frame step)].
SPLITS = dict(
    train=[('DemoA', 100, 10, 2), ('DemoB', 300, 10, 1),
           ('DemoC', 500, 10, 2)],
    val=[('DemoV', 0, 16, 1)],
    test=[('DemoT', 40, 8, 1)])


def _world(rng: np.random.Generator, height: int,
           width: int) -> Tuple[np.ndarray, np.ndarray]:
    """A static street panorama: (H, W) uint8 labels and (H, W, 3) RGB."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    horizon, road_top = int(0.55 * height), int(0.65 * height)
    label = np.full((height, width), SKY, np.uint8)
    x = 0
    while x < width:
        block = int(rng.integers(14, 32))
        top = int(rng.integers(int(0.12 * height), int(0.35 * height)))
        label[top:horizon, x:x + block] = BUILDING if rng.random() < 0.6 \
            else TREE
        x += block
    label[horizon:road_top] = PAVEMENT
    label[road_top:] = ROAD
    for x in range(int(rng.integers(5, 20)), width, 40):
        fence = slice(horizon - 5, horizon)
        label[fence, x + 6:x + 22] = FENCE
        label[int(0.25 * height):road_top - 2, x:x + 2] = POLE
        if rng.random() < 0.5:
            label[int(0.25 * height) - 6:int(0.25 * height), x - 3:x + 5] = \
                SIGN
    image = PALETTE[label].copy()
    windows = ((rows // 4) % 3 == 0) & ((cols // 5) % 2 == 0)
    image[(label == BUILDING) & windows] *= 0.55
    leaves = np.sin(rows * 1.3) * np.cos(cols * 0.9) > 0.3
    image[(label == TREE) & leaves] *= 1.35
    image[(label == ROAD) & ((cols // 12 + rows // 6) % 2 == 0)] += 12
    image[(label == FENCE) & (cols % 4 == 0)] *= 0.5
    image += np.where(label == SKY, 20 - 40 * rows / height, 0)[..., None]
    image += rng.normal(0, 5, image.shape)
    return label, image


def _draw_movers(label: np.ndarray, image: np.ndarray, t: float,
                 phase: float) -> None:
    """Draw a car, a pedestrian and a bicyclist at time ``t`` in place."""
    height, width = label.shape
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    car_x = (phase + 3.0 * t) % (width + 40) - 40
    car_y = int(0.72 * height)
    car = (cols >= car_x) & (cols < car_x + 34) & (rows >= car_y) & (
        rows < car_y + int(0.16 * height))
    walker_x = (width - (phase + 1.5 * t) % (width + 10))
    walker = ((cols - walker_x) / 3.5)**2 + (
        (rows - 0.5 * height) / (0.1 * height))**2 <= 1
    bike_x = (0.5 * phase + 2.0 * t) % (width + 20) - 10
    bike = ((cols - bike_x) / 7)**2 + (
        (rows - 0.62 * height) / (0.07 * height))**2 <= 1
    for mask, cls, shade in ((car, CAR, 0), (walker, PEDESTRIAN, 20),
                             (bike, BICYCLIST, -20)):
        label[mask] = cls
        image[mask] = PALETTE[cls] + shade


def _frame(world: Tuple[np.ndarray, np.ndarray], frame: int, offset: int,
           width: int, phase: float,
           rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Frame ``frame`` seen at panorama column ``offset``.

    Returns:
        tuple: (H, W) uint8 CamVid ids and (H, W, 3) uint8 BGR image.
    """
    world_label, world_image = world
    label = world_label[:, offset:offset + width].copy()
    image = world_image[:, offset:offset + width].copy()
    _draw_movers(label, image, float(frame), phase)
    hood = max(2, label.shape[0] // 24)
    label[-hood:] = VOID
    image[-hood:] = PALETTE[VOID] + 10
    image += rng.normal(0, 3, image.shape)
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return label, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)


def generate_demo_camvid(out_dir: str,
                         seed: int = 0,
                         height: int = 96,
                         width: int = 128) -> Dict[str, List[Tuple[str, str]]]:
    """Write the synthetic CamVid-layout dataset into ``out_dir``.

    Layout (names ``<sequence>_<frame:06d>.png``, frames numbered in the
    "source video")::

        out_dir/train/ trainannot/   DemoA (step 2), DemoB (step 1),
                                     DemoC (step 2): 10 frames each
        out_dir/val/ valannot/       DemoV: 16 consecutive frames
        out_dir/test/ testannot/     DemoT: 8 consecutive frames
        out_dir/{train,val,test}.txt "<split>/<name> <split>annot/<name>"

    Images are (height, width, 3) uint8 RGB PNGs; labels (height, width)
    uint8 PNGs with the CamVid ids 0..10 and void 11 (the bottom rows, an
    "ego-vehicle hood").

    Args:
        out_dir: output folder, created if needed; files are overwritten.
        seed: seed of the scene layout and noise.
        height: frame height in pixels.
        width: frame width in pixels.

    Returns:
        dict: split -> list of (image, label) paths relative to ``out_dir``,
        as written to ``<split>.txt``.
    """
    written = {}
    for split_index, (split, sequences) in enumerate(SPLITS.items()):
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        os.makedirs(osp.join(out_dir, split + 'annot'), exist_ok=True)
        pairs = []
        for seq_index, (seq, first, num, step) in enumerate(sequences):
            scene_rng = np.random.default_rng([seed, split_index, seq_index])
            pan = float(scene_rng.uniform(1.0, 2.5))  # pixels per frame
            world = _world(scene_rng, height,
                           width + int(np.ceil(pan * num * step)))
            phase = float(scene_rng.uniform(0, width))
            for frame in range(first, first + num * step, step):
                noise_rng = np.random.default_rng(
                    [seed, split_index, seq_index, frame])
                label, image = _frame(world, frame,
                                      int(round(pan * (frame - first))),
                                      width, phase, noise_rng)
                name = f'{seq}_{frame:06d}.png'
                img_rel = f'{split}/{name}'
                ann_rel = f'{split}annot/{name}'
                cv2.imwrite(osp.join(out_dir, img_rel), image)
                cv2.imwrite(osp.join(out_dir, ann_rel), label)
                pairs.append((img_rel, ann_rel))
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            f.writelines(f'{img} {ann}\n' for img, ann in pairs)
        written[split] = pairs
    return written
