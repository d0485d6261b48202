# Copyright (c) mmvseg contributors. All rights reserved.
"""Compute optical flow for consecutive frames and write flow files.

Frames come from a folder of clips (``--clips DIR``: one sub-folder of frames
per clip, sorted by name, the layout of ``eval_tc.py --frames``) or from a
dataset config (``--config CONFIG``: the videos of the dataset of its
``<split>_dataloader``, e.g. the CamVid val clip). Any registered flow
estimator computes the flow (``--flow DISFlow`` by default; ``RAFTFlow``,
``MMFlowEstimator`` with any mmflow model, ...; its arguments with
``--flow-options key=value ...``), on the RGB 0-255 frames as the temporal
consistency metrics give them (``mmvseg.utils.read_image``, BGR -> RGB).

Directions (``--direction``): ``forward`` = ``f_{t->t+1}`` on frame t's grid,
``backward`` = ``f_{t+1->t}`` on frame t+1's grid (both: ``flow_warp(x_s,
f_{t->s}) ~ x_t``).

Formats (``--format``):

- ``flo`` (Middlebury): ``OUT/<folder>/<stem>.flo`` for the forward flow of
  the frame ``<folder>/<stem>.<ext>`` and ``OUT/<folder>/<stem>_backward.flo``
  for its backward flow, ``<folder>`` being the name of the frame's folder:
  the layout that ``tools/analysis_tools/eval_tc.py --flows OUT`` and
  ``FileFlow(flow_root=OUT)`` (``suffix='_backward.flo'`` for the backward
  files) read.
- ``tps``: TPS's int16 x 10 ``.npy`` files, all in ``OUT`` (TPS reads one flat
  folder), named after frame t's stem up to the end of its last frame number
  (digits between underscores), then ``_`` and frame s's number:
  ``aachen_000000_000019_leftImg8bit.png`` ->
  ``aachen_000000_000019_000018_int16_x10.npy`` for the flow from frame 19 to
  frame 18 (xing0047/TPS ``tps/domain_adaptation/train_video_UDA.py``).

Files that exist are skipped (resume), each file is written to a temporary
name and renamed (a killed run leaves no partial flow file), an unwritable
output folder or a full disk stops the run with an error naming the folder
or file (``mmvseg.utils.tool_io``), a progress bar runs over the pairs, and
a summary gives the time per pair.

Examples::

    # DIS flow of the CamVid val clip (100 pairs), then TC on those files
    python tools/misc/compute_flow.py work_dirs/flow_dis \\
        --config configs/espnet/espnet_p2-q8_camvid-360x480.py --split test
    # mmflow RAFT (model-zoo checkpoint), both directions, TPS files
    python tools/misc/compute_flow.py work_dirs/flow_raft --clips data/clips \\
        --flow MMFlowEstimator --flow-options \\
        config=mmflow::raft/raft_8xb2_100k_mixed-368x768.py \\
        checkpoint=checkpoints/raft_8x2_100k_mixed_368x768.pth \\
        --direction both --format tps

``--json OUT`` writes ``{"flow", "pairs", "computed", "skipped",
"flow_s_per_pair", "total_s_per_pair", "seconds"}``.
"""
import argparse
import os
import os.path as osp
import re
import time
from collections import OrderedDict
from functools import partial
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import mmengine
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.utils import ProgressBar
from torch import Tensor, nn

import mmvseg  # noqa: F401  (registers the estimators and datasets)
from mmvseg.registry import MODELS
from mmvseg.utils import (list_images, read_image, write_flow,
                          write_flow_int16_x10)
from mmvseg.utils.tool_io import check_output_dir, config_videos, write_atomic

FORMATS = ('flo', 'tps')
DIRECTIONS = ('forward', 'backward', 'both')
SPLITS = ('train', 'val', 'test')
BACKWARD_SUFFIX = '_backward.flo'
TPS_SUFFIX = '_int16_x10.npy'
WRITERS: Dict[str, Callable[[str, np.ndarray], None]] = dict(
    flo=write_flow, tps=write_flow_int16_x10)


class Pair(NamedTuple):
    """One flow to compute: ``f_{t->s}`` written to ``out``."""
    path_t: str
    path_s: str
    out: str


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Compute optical flow between consecutive frames of '
        'clips and write .flo or TPS int16 x 10 .npy files')
    parser.add_argument('out_dir', help='output folder')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--clips', help='folder with one sub-folder of '
                        'frames per clip')
    source.add_argument('--config', help='mmvseg config whose '
                        '<split>_dataloader dataset gives the videos')
    parser.add_argument('--split', choices=SPLITS, default='test',
                        help='dataloader of --config (default test)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of --config, key=value')
    parser.add_argument('--flow', default='DISFlow',
                        help='registered flow estimator type (default '
                        'DISFlow; e.g. RAFTFlow, MMFlowEstimator)')
    parser.add_argument('--flow-options', nargs='+', action=DictAction,
                        default={}, help='arguments of the estimator, '
                        'key=value')
    parser.add_argument('--direction', choices=DIRECTIONS, default='forward')
    parser.add_argument('--format', choices=FORMATS, default='flo')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='pairs per estimator call (default 1)')
    parser.add_argument('--device', default=None,
                        help="default: mmengine's get_device()")
    parser.add_argument('--json', help='write the summary to this file')
    return parser.parse_args(argv)


def clips_from_folder(root: str) -> List[Tuple[str, List[str]]]:
    """``(clip, frame paths)`` for every sub-folder of ``root``.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: it has no sub-folder, or a sub-folder has no image.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: clips folder not found')
    names = sorted(name for name in os.listdir(root)
                   if osp.isdir(osp.join(root, name)))
    if not names:
        raise ValueError(f'{root}: no clip sub-folder')
    return [(name, list_images(osp.join(root, name))) for name in names]


def clips_from_config(
        config: str,
        split: str = 'test',
        cfg_options: Optional[dict] = None) -> List[Tuple[str, List[str]]]:
    """``(video_id, frame paths)`` of every video of a config's dataset
    (:func:`mmvseg.utils.tool_io.config_videos`: whole videos, so that no
    pair is lost at a clip border).

    Raises:
        FileNotFoundError: the config does not exist.
        ValueError: the config has no ``<split>_dataloader``, or its dataset
            is not a video dataset.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config not found')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return config_videos(cfg, split, config)


#: A frame number: digits between underscores or the ends of the stem
#: (``leftImg8bit`` is not one).
FRAME_NUMBER = re.compile(r'(?:^|_)(\d+)(?=_|$)')


def tps_name(path_t: str, path_s: str) -> str:
    """TPS file name of ``f_{t->s}``: t's stem up to the end of its last
    frame number (:data:`FRAME_NUMBER`), ``_``, s's last frame number,
    ``_int16_x10.npy``.

    Raises:
        ValueError: a stem without a frame number.
    """
    numbers = []
    for path in (path_t, path_s):
        stem = osp.splitext(osp.basename(path))[0]
        found = list(FRAME_NUMBER.finditer(stem))
        if not found:
            raise ValueError(
                f'{path}: the TPS format needs a frame number (digits '
                'between underscores) in the file name')
        numbers.append((stem, found[-1]))
    (stem_t, number_t), (_, number_s) = numbers
    return stem_t[:number_t.end(1)] + '_' + number_s.group(1) + TPS_SUFFIX


def flow_file(out_dir: str, fmt: str, path_t: str, path_s: str,
              backward: bool) -> str:
    """Output path of ``f_{t->s}`` (see the module docstring)."""
    if fmt == 'tps':
        return osp.join(out_dir, tps_name(path_t, path_s))
    folder = osp.basename(osp.dirname(path_t))
    stem = osp.splitext(osp.basename(path_t))[0]
    return osp.join(out_dir, folder,
                    stem + (BACKWARD_SUFFIX if backward else '.flo'))


def plan_pairs(clips: List[Tuple[str, List[str]]], out_dir: str, fmt: str,
               direction: str) -> List[Pair]:
    """Every pair of consecutive frames, in the requested directions.

    Raises:
        ValueError: two pairs would write the same file (named).
    """
    pairs, owners = [], {}
    for _, frames in clips:
        for a, b in zip(frames, frames[1:]):
            steps = []
            if direction in ('forward', 'both'):
                steps.append((a, b, False))
            if direction in ('backward', 'both'):
                steps.append((b, a, True))
            for path_t, path_s, backward in steps:
                out = flow_file(out_dir, fmt, path_t, path_s, backward)
                if out in owners:
                    raise ValueError(
                        f'{out}: written by two pairs ({owners[out]} and '
                        f'{path_t} -> {path_s}); frame names must be unique '
                        'per folder (flo) or over all clips (tps)')
                owners[out] = f'{path_t} -> {path_s}'
                pairs.append(Pair(path_t, path_s, out))
    return pairs


class FrameReader:
    """(3, H, W) uint8 RGB frames, the last few kept in memory."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.cache: 'OrderedDict[str, Tensor]' = OrderedDict()

    def __call__(self, path: str) -> Tensor:
        if path not in self.cache:
            img = read_image(path)[..., ::-1]
            self.cache[path] = torch.from_numpy(
                np.ascontiguousarray(img)).permute(2, 0, 1)
            if len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return self.cache[path]


def build_estimator(flow: str, options: dict, device: str) -> nn.Module:
    """The estimator ``MODELS.build(dict(type=flow, **options))`` on
    ``device`` in eval mode.

    Raises:
        ValueError: ``FileFlow`` (it reads flow, it does not compute it).
    """
    if flow == 'FileFlow':
        raise ValueError('FileFlow reads flow files; choose an estimator '
                         'that computes flow (DISFlow, RAFTFlow, '
                         'MMFlowEstimator, ...)')
    estimator = MODELS.build(dict(type=flow, **options))
    if isinstance(estimator, nn.Module):
        estimator.to(device).eval()
    return estimator


def compute(pairs: List[Pair], estimator: Callable, fmt: str,
            batch_size: int) -> float:
    """Compute and write the flow of ``pairs``; returns the seconds spent in
    the estimator.

    Raises:
        ValueError: the two frames of a pair differ in size (named).
    """
    read = FrameReader(size=4 * batch_size + 4)
    progress = ProgressBar(len(pairs))
    flow_seconds = 0.0
    start = 0
    while start < len(pairs):
        batch = [pairs[start]]
        size = read(pairs[start].path_t).shape
        while start + len(batch) < len(pairs) and len(batch) < batch_size \
                and read(pairs[start + len(batch)].path_t).shape == size:
            batch.append(pairs[start + len(batch)])
        start += len(batch)
        frames_t = torch.stack([read(p.path_t) for p in batch])
        frames_s = []
        for pair in batch:
            frame_s = read(pair.path_s)
            if frame_s.shape != size:
                raise ValueError(
                    f'{pair.path_s}: frame size {tuple(frame_s.shape[1:])} '
                    f'differs from {pair.path_t} {tuple(size[1:])}')
            frames_s.append(frame_s)
        tic = time.perf_counter()
        with torch.no_grad():
            flow = estimator(frames_t, torch.stack(frames_s))
        flow = flow.permute(0, 2, 3, 1).cpu().numpy()
        flow_seconds += time.perf_counter() - tic
        for pair, f in zip(batch, flow):
            write_atomic(pair.out, partial(WRITERS[fmt], flow=f))
        progress.update(len(batch))
    return flow_seconds


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns the summary that ``--json`` writes."""
    args = parse_args(argv)
    if args.batch_size < 1:
        raise ValueError(f'--batch-size must be >= 1, got {args.batch_size}')
    tic = time.perf_counter()
    clips = clips_from_folder(args.clips) if args.clips else \
        clips_from_config(args.config, args.split, args.cfg_options)
    pairs = plan_pairs(clips, args.out_dir, args.format, args.direction)
    todo = [pair for pair in pairs if not osp.isfile(pair.out)]
    flow_desc = f'{args.flow}(' + ', '.join(
        f'{k}={v}' for k, v in args.flow_options.items()) + ')'
    print(f'{len(clips)} clips, {len(pairs)} flows ({args.direction}, '
          f'{args.format}) with {flow_desc}: {len(pairs) - len(todo)} done '
          f'already, {len(todo)} to compute')
    flow_seconds = 0.0
    if todo:
        check_output_dir(args.out_dir)
        device = args.device or get_device()
        estimator = build_estimator(args.flow, args.flow_options, device)
        flow_seconds = compute(todo, estimator, args.format, args.batch_size)
    seconds = time.perf_counter() - tic
    summary = dict(
        flow=flow_desc,
        pairs=len(pairs),
        computed=len(todo),
        skipped=len(pairs) - len(todo),
        flow_s_per_pair=flow_seconds / len(todo) if todo else None,
        total_s_per_pair=seconds / len(todo) if todo else None,
        seconds=seconds)
    print(f'\ncomputed {len(todo)} flows, skipped {summary["skipped"]} '
          f'existing, in {seconds:.1f} s', end='')
    if todo:
        print(f': {summary["flow_s_per_pair"]:.3f} s/pair in the estimator, '
              f'{summary["total_s_per_pair"]:.3f} s/pair in all (read, '
              'model build, write)')
    else:
        print()
    if args.json:
        mmengine.dump(summary, args.json, indent=2)
    return summary


if __name__ == '__main__':
    main()
