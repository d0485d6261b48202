# Copyright (c) mmvseg contributors. All rights reserved.
"""How far registration at reduced resolution lands from full resolution.

For consecutive frames (t-1, t) of each clip folder, estimates
``H_{t-1->t}`` with the registration of an SSP config at full resolution
(``scale=1``) and at each ``--scales`` value (the frames resized before
keypoints, matching and RANSAC, H mapped back to full-frame pixels; see
``BaseRegistration``), the way SSP's causal inference does it: each frame
described once, then registered to the previous one. Reports, per scale,
the corner distance (px, ``mmvseg.models.registration.corner_distance``)
between its H and the full-resolution H of the same pair - median, 90th
percentile and maximum over all pairs - and the time per frame (describe +
register). Real footage has no ground-truth homography: agreement with the
full-resolution registration tells whether a cheaper one changes what SSP
propagates.

Example (SIFT on the DAVIS-2016 frames)::

    python tools/analysis_tools/registration_agreement.py \\
        configs/ssp/ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py \\
        data/davis2016/JPEGImages/480p/* \\
        --scales 0.5 0.25 --pairs 10 --cfg-options \\
        model.registration._delete_=True \\
        model.registration.type=HomographyRegistration \\
        model.registration.method=sift

``--json OUT`` writes ``{"registration", "clips", "pairs", "scales": {scale:
{"median_px", "p90_px", "max_px", "ms_per_frame"}}}`` (scale 1 has only
``ms_per_frame``).
"""
import argparse
import statistics
import time
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from prettytable import PrettyTable
from torch import Tensor

from mmvseg.models.registration import BaseRegistration, corner_distance
from mmvseg.registry import MODELS
from mmvseg.utils import list_images, read_image


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Agreement of reduced-resolution registration with '
        'full-resolution registration on real clips')
    parser.add_argument('config', help='SSP config (its model.registration)')
    parser.add_argument('clips', nargs='+',
                        help='clip folders of frames (sorted by name)')
    parser.add_argument('--scales', type=float, nargs='+',
                        default=[0.5, 0.25],
                        help='reduced registration scales (default 0.5 '
                        '0.25)')
    parser.add_argument('--pairs', type=int, default=10,
                        help='consecutive pairs per clip, from its first '
                        'frame (default 10)')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def read_clip(folder: str, pairs: int) -> List[Tensor]:
    """The first ``pairs + 1`` frames of a clip as (1, 3, H, W) uint8 RGB.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: fewer than 2 frames, an unreadable frame, or frames of
            different sizes (the message names the folder or file).
    """
    files = list_images(folder)[:pairs + 1]
    if len(files) < 2:
        raise ValueError(f'{folder}: a clip needs at least 2 frames, found '
                         f'{len(files)}')
    frames = []
    for path in files:
        rgb = read_image(path)[:, :, ::-1].copy()
        frame = torch.from_numpy(rgb).permute(2, 0, 1)[None]
        if frames and frame.shape != frames[0].shape:
            raise ValueError(
                f'{path}: frame of size {tuple(frame.shape[2:])}, the '
                f'clip\'s first frame is {tuple(frames[0].shape[2:])}')
        frames.append(frame)
    return frames


def register_clip(registration: BaseRegistration, frames: List[Tensor],
                  device: torch.device) -> Tuple[List[Tensor], List[float]]:
    """``H_{t-1->t}`` (3, 3) of each consecutive pair, each frame described
    once, and the seconds spent per frame."""
    size = tuple(frames[0].shape[2:])
    homographies, seconds, previous = [], [], None
    for frame in frames:
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        description = registration.describe(frame.to(device))
        if previous is not None:
            homographies.append(
                registration.register(previous, description, size)[0])
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        seconds.append(time.perf_counter() - start)
        previous = description
    return homographies, seconds


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if any(not 0 < scale < 1 for scale in args.scales):
        raise ValueError(f'--scales must be in (0, 1), got {args.scales}')
    if args.pairs < 1:
        raise ValueError(f'--pairs must be >= 1, got {args.pairs}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if not cfg.model.get('registration'):
        raise ValueError(f'{args.config}: no model.registration to compare')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    device = torch.device(args.device)
    clips = [read_clip(folder, args.pairs) for folder in args.clips]
    scales = [1.0] + list(args.scales)
    registrations = {
        scale: MODELS.build(dict(cfg.model.registration,
                                 scale=scale)).to(device).eval()
        for scale in scales
    }
    distances: Dict[float, List[float]] = {s: [] for s in args.scales}
    seconds: Dict[float, List[float]] = {s: [] for s in scales}
    progress = ProgressBar(len(scales) * sum(len(c) for c in clips))
    with torch.no_grad():
        for frames in clips:
            size = tuple(frames[0].shape[2:])
            found = {}
            for scale in scales:
                found[scale], spent = register_clip(registrations[scale],
                                                    frames, device)
                seconds[scale] += spent
                for _ in frames:
                    progress.update()
            for scale in args.scales:
                distances[scale] += [
                    corner_distance(h, reference, size)
                    for h, reference in zip(found[scale], found[1.0])
                ]
    print()
    result = dict(
        registration=cfg.model.registration.get('type'),
        clips=len(clips),
        pairs=len(distances[args.scales[0]]),
        scales={})
    table = PrettyTable(
        ['scale', 'median px', 'p90 px', 'max px', 'ms per frame'])
    for scale in scales:
        entry = dict(ms_per_frame=1e3 * statistics.mean(seconds[scale]))
        if scale != 1.0:
            values = np.array(distances[scale])
            entry.update(
                median_px=float(np.median(values)),
                p90_px=float(np.percentile(values, 90)),
                max_px=float(values.max()))
        result['scales'][str(scale)] = entry
        table.add_row([scale] + [
            f'{entry[key]:.2f}' if key in entry else '-'
            for key in ('median_px', 'p90_px', 'max_px', 'ms_per_frame')
        ])
    print(f'{result["registration"]}: {result["pairs"]} pairs of '
          f'{result["clips"]} clips, corner distance to the full-resolution '
          'H')
    print(table)
    if args.json:
        mmengine.dump(result, args.json, file_format='json', indent=2)
    return result


if __name__ == '__main__':
    main()
