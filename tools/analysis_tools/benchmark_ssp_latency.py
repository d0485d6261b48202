# Copyright (c) mmvseg contributors. All rights reserved.
"""Per-frame latency of SSP against its image model, side by side.

Both models come from one SSP config (``model.image_model`` is the image
model SSP wraps) and run on the same synthetic clip: a smooth random texture
seen through a camera that pans 3 px a frame, so feature registration finds
real matches. Weights are random (latency does not depend on their values);
with ``DiskLightGlueRegistration`` random DISK and LightGlue weights are
written to a temporary folder unless ``--keep-weights`` is given. The
consistency loss and its flow estimator (training only) are not built.

Timed per frame, in the steady state (t >= 1, after ``--warmup`` frames):

- ``image model alone``: backbone + decode head + logit upsampling of one
  frame, as the per-frame baseline runs it;
- ``SSP``: one step of ``SSP.predict_clip`` (image model, registration of
  frames t-1 -> t, similarity head, homography warps of the features and of
  the previous output, fusion), with its parts timed by wrapping the
  registration's ``describe`` (keypoints + descriptors of frame t only:
  frame t-1 was described at the previous step), ``match`` (descriptor
  matching) and ``fit`` (RANSAC homography), ``sim_head`` (the alpha head)
  and ``warp_homography``;
  ``other`` = SSP - image model part - registration - alpha head - warps.

The image model alone and SSP alternate frame by frame on the same frames.
On CUDA every timer synchronises the device first. The ratio SSP / image
model is taken from the medians of the same run.

Examples::

    python tools/analysis_tools/benchmark_ssp_latency.py \\
        configs/ssp/ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py \\
        --size 736 1280 --frames 12
    python tools/analysis_tools/benchmark_ssp_latency.py \\
        configs/ssp/ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py \\
        --size 224 384 --device cpu \\
        --cfg-options model.registration.type=HomographyRegistration \\
        model.registration.method=sift
"""
import argparse
import contextlib
import platform
import statistics
import tempfile
import time
from collections import defaultdict
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import mmengine
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from torch import Tensor

import mmvseg.models.segmentors.ssp as ssp_module
from mmvseg.models.registration import corner_distance
from mmvseg.registry import MODELS

PARTS = ('image model', 'describe', 'match', 'fit', 'alpha head', 'warps',
         'other')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Per-frame latency of SSP vs its image model')
    parser.add_argument('config', help='SSP config file')
    parser.add_argument(
        '--size', type=int, nargs=2, default=(736, 1280),
        metavar=('H', 'W'), help='frame size (default 736 1280)')
    parser.add_argument('--frames', type=int, default=10,
                        help='timed frames per model (default 10)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed frames first (default 2)')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--keep-weights', action='store_true',
                        help='use the weight files named in the config '
                        'instead of random ones')
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def synthetic_clip(num_frames: int, height: int, width: int,
                   step: int = 3, seed: int = 0) -> Tensor:
    """(T, 3, H, W) float frames in 0-255: a smooth random texture seen
    through a camera panning ``step`` px right and ``step // 2`` px down a
    frame (so frame t+1 at (y, x) shows frame t at (y + step // 2,
    x + step))."""
    generator = torch.Generator().manual_seed(seed)
    pad = step * num_frames
    coarse = torch.rand(1, 3, (height + pad) // 16 + 2,
                        (width + pad) // 16 + 2, generator=generator)
    fine = torch.rand(1, 3, height + pad, width + pad, generator=generator)
    texture = F.interpolate(coarse, size=fine.shape[2:], mode='bicubic',
                            align_corners=False) * 200 + fine * 55
    down = step // 2
    return torch.cat([
        texture[:, :, t * down:t * down + height, t * step:t * step + width]
        for t in range(num_frames)
    ]).clamp(0, 255)


def pan_homography(step: int = 3) -> Tensor:
    """(3, 3) float64 ``H_{t-1->t}`` of :func:`synthetic_clip`'s pan: a
    pixel of frame t-1 moves by (-step, -(step // 2))."""
    homography = torch.eye(3, dtype=torch.float64)
    homography[0, 2], homography[1, 2] = -step, -(step // 2)
    return homography


def random_registration_weights(registration: dict, folder: str) -> dict:
    """Point a ``DiskLightGlueRegistration`` config at random weights.

    The weights are drawn with a fixed seed: LightGlue's adaptive depth and
    point pruning depend on them, and with them its time.
    """
    from mmvseg.models.registration import disk_lightglue
    if registration.get('type') != 'DiskLightGlueRegistration':
        return registration
    torch.manual_seed(0)
    disk_path, lightglue_path = f'{folder}/disk.pth', f'{folder}/lg.pth'
    torch.save(
        dict(extractor=disk_lightglue.DISK().state_dict()), disk_path)
    torch.save(
        disk_lightglue.load_lightglue_disk(None).state_dict(), lightglue_path)
    return dict(registration, disk_weights=disk_path,
                lightglue_weights=lightglue_path)


class PartTimer:
    """Accumulates wall-clock seconds of named parts, synchronising CUDA."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: Dict[str, float] = defaultdict(float)

    def now(self) -> float:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = self.now()
            result = fn(*args, **kwargs)
            self.seconds[name] += self.now() - start
            return result

        return timed


@contextlib.contextmanager
def timed_parts(model, timer: PartTimer) -> Iterator[None]:
    """Time SSP's image model, registration, alpha head and warps."""
    patched = [(model, 'extract_feat'), (model, 'decode_logits'),
               (model.registration, 'describe'),
               (model.registration, 'match'), (model.registration, 'fit'),
               (model.sim_head, 'forward'), (ssp_module, 'warp_homography')]
    names = ['image model', 'image model', 'describe', 'match', 'fit',
             'alpha head', 'warps']
    originals = [getattr(obj, attr) for obj, attr in patched]
    for (obj, attr), name, fn in zip(patched, names, originals):
        setattr(obj, attr, timer.wrap(name, fn))
    try:
        yield
    finally:
        for (obj, attr), fn in zip(patched, originals):
            if obj is ssp_module:
                setattr(obj, attr, fn)
            else:
                delattr(obj, attr)


def time_side_by_side(model, frames: Tensor, warmup: int,
                      timer: PartTimer) -> Dict[str, List[float]]:
    """Seconds per frame of the image model alone and of SSP's steps.

    The two alternate frame by frame (image model on frame t, then SSP step
    t), so both see the same machine state; frames t < max(warmup, 1) are
    not recorded (SSP's step 0 has nothing to propagate). Also records the
    ``registration error`` (px, ``corner_distance`` against
    :func:`pan_homography`) of each step that registers.
    """
    per_frame: Dict[str, List[float]] = defaultdict(list)
    homographies: List[Tensor] = []
    register = model.registration.register

    def recorded(*args, **kwargs):
        result = register(*args, **kwargs)
        homographies.append(result[0])
        return result

    model.registration.register = recorded
    try:
        _time_steps(model, frames, warmup, timer, per_frame, homographies)
    finally:
        del model.registration.register
    return per_frame


def _time_steps(model, frames: Tensor, warmup: int, timer: PartTimer,
                per_frame: Dict[str, List[float]],
                homographies: List[Tensor]) -> None:
    steps = model.predict_clip(frames, [None] * frames.shape[0])
    for t in range(frames.shape[0]):
        homographies.clear()
        start = timer.now()
        model.decode_logits(model.extract_feat(frames[t:t + 1]),
                            frames.shape[2:])
        alone = timer.now() - start
        with timed_parts(model, timer):
            timer.seconds.clear()  # parts of this step only
            start = timer.now()
            next(steps)
            total = timer.now() - start
        if t < max(warmup, 1):
            continue
        per_frame['image model alone'].append(alone)
        per_frame['SSP'].append(total)
        for part in PARTS[:-1]:
            per_frame[part].append(timer.seconds[part])
        per_frame['other'].append(
            total - sum(timer.seconds[p] for p in PARTS[:-1]))
        if homographies:
            per_frame['registration error'].append(
                corner_distance(homographies[-1], pan_homography(),
                                frames.shape[2:]))


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    device = torch.device(args.device)
    num_frames = args.warmup + args.frames + 1
    frames = synthetic_clip(num_frames, *args.size)
    with tempfile.TemporaryDirectory() as folder:
        if not args.keep_weights:
            cfg.model.registration = random_registration_weights(
                cfg.model.registration, folder)
        # training only: the consistency loss and its flow estimator
        cfg.model.loss_tc = None
        cfg.model.image_model.pop('init_cfg', None)
        cfg.model.image_model.backbone.pop('init_cfg', None)
        model = MODELS.build(cfg.model).to(device).eval()
    pre = model.data_preprocessor
    inputs = ((frames.flip(1) if pre.channel_conversion else frames) -
              pre.mean.cpu()) / pre.std.cpu() if pre._enable_normalize \
        else frames
    inputs = inputs.to(device)
    timer = PartTimer(device)
    with torch.no_grad():
        per_frame = time_side_by_side(model, inputs, args.warmup, timer)
    errors = per_frame.pop('registration error', None)
    error = statistics.median(errors) if errors else None
    median_ms = {
        name: 1e3 * statistics.median(values)
        for name, values in per_frame.items()
    }
    result = dict(
        config=args.config,
        size=list(args.size),
        device=(torch.cuda.get_device_name(device)
                if device.type == 'cuda' else platform.processor() or 'cpu'),
        threads=torch.get_num_threads(),
        registration=cfg.model.registration.get('type'),
        timed_frames=args.frames,
        registration_scale=cfg.model.registration.get('scale', 1.0),
        median_ms=median_ms,
        ratio=median_ms['SSP'] / median_ms['image model alone'],
        registration_error_px=error)
    print(f'{args.config} at {args.size[0]}x{args.size[1]} on '
          f'{result["device"]} ({result["threads"]} threads), median of '
          f'{args.frames} frames:')
    print(f'  image model alone {median_ms["image model alone"]:9.1f} ms')
    print(f'  SSP               {median_ms["SSP"]:9.1f} ms  '
          f'(ratio {result["ratio"]:.3f})')
    for part in PARTS:
        print(f'    {part:<15} {median_ms[part]:9.1f} ms')
    if error is not None:
        print(f'  registration error {error:8.2f} px (corners, against the '
              'true pan)')
    if args.json:
        mmengine.dump(result, args.json, file_format='json', indent=2)
    return result


if __name__ == '__main__':
    main()
