# Copyright (c) mmvseg contributors. All rights reserved.
"""Time per frame pair of mmvseg's flow estimators, side by side.

Runs, in one process and on the same frame pair (by default two real CamVid
val frames, 2 source frames apart, 360x480): OpenCV DIS (``DISFlow``,
preset ``--dis-preset``), torchvision RAFT-small and RAFT-large
(``RAFTFlow``) and mmflow's RAFT (``MMFlowEstimator`` with ``--mmflow-config``)
with ``--iters`` refinement updates. Weights are random (the time does not
depend on their values): RAFT-large gets seeded random weights and BatchNorm
statistics, which are converted to mmflow's layout
(``tools/model_converters/raft_torchvision_mmflow.py``) and loaded into the
mmflow RAFT, so the run also reports the largest difference between the two
implementations' flows (the equivalence check; expected <= 1e-3 px).

Each estimator runs ``--warmup`` times untimed, then ``--repeats`` times, the
estimators alternating repeat by repeat so that load changes on the machine
hit all of them alike. The table gives, per pair, the median and the minimum
wall-clock seconds and the median CPU seconds of the process
(``time.process_time``, all threads): on a shared machine the wall clock
grows with other jobs' load while the CPU time hardly does, and with
``--threads 1`` the CPU time is the wall time the estimator would take on an
idle core. On CUDA every timer synchronises the device first.

Example (the numbers in docs/en/user_guides/optical_flow.md)::

    python tools/analysis_tools/benchmark_flow.py --threads 2 --iters 20 \\
        --json work_dirs/benchmark_flow.json

``--json OUT`` writes ``{"size", "iters", "threads", "device", "torch",
"estimators": {name: {"median_s", "min_s", "cpu_median_s", "times_s",
"cpu_times_s"}},
"raft_large_vs_mmflow_max_abs_px"}``.
"""
import argparse
import os.path as osp
import platform
import statistics
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import mmengine
import numpy as np
import torch
from prettytable import PrettyTable
from torch import Tensor
from torchvision.models.optical_flow import raft_large

from mmvseg.models.flow import DISFlow, MMFlowEstimator, RAFTFlow
from mmvseg.utils import read_image

DEFAULT_FRAMES = ('../shared/data/camvid/val/0016E5_07959.png',
                  '../shared/data/camvid/val/0016E5_07961.png')
DEFAULT_MMFLOW = 'mmflow::raft/raft_8xb2_100k_mixed-368x768.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Seconds per frame pair of DIS, RAFT-small, RAFT-large '
        'and mmflow RAFT on one pair, side by side')
    parser.add_argument('--frames', nargs=2, default=DEFAULT_FRAMES,
                        metavar=('T', 'S'), help='frame t and frame s '
                        '(default: two CamVid val frames in ../shared)')
    parser.add_argument('--iters', type=int, default=20,
                        help='RAFT updates (num_flow_updates / iters)')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: unchanged)')
    parser.add_argument('--dis-preset', default='medium',
                        choices=tuple(DISFlow.PRESETS))
    parser.add_argument('--mmflow-config', default=DEFAULT_MMFLOW)
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='write the results to this file')
    return parser.parse_args(argv)


def read_pair(paths: Sequence[str]) -> List[Tensor]:
    """Two (1, 3, H, W) uint8 RGB frames of one size.

    Raises:
        FileNotFoundError / ValueError: a missing or unreadable frame, or
            frames of different sizes.
    """
    frames = [
        torch.from_numpy(np.ascontiguousarray(read_image(p)[..., ::-1]))
        .permute(2, 0, 1)[None] for p in paths
    ]
    if frames[0].shape != frames[1].shape:
        raise ValueError(f'{paths[1]}: size {tuple(frames[1].shape[2:])} '
                         f'differs from {paths[0]} '
                         f'{tuple(frames[0].shape[2:])}')
    return frames


def random_raft_large(seed: int) -> torch.nn.Module:
    """torchvision raft_large with seeded random weights and BN stats."""
    torch.manual_seed(seed)
    model = raft_large(weights=None, progress=False)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return model


def build_estimators(args: argparse.Namespace,
                     workdir: str) -> Dict[str, torch.nn.Module]:
    """The four estimators; RAFT-large and mmflow RAFT share weights."""
    from mmvseg.utils.checkpoint_conversion import save_converted_checkpoint
    converter = _load_converter()
    tv_state = random_raft_large(args.seed).state_dict()
    tv_path = osp.join(workdir, 'raft_large.pth')
    mm_path = osp.join(workdir, 'raft_large_mmflow.pth')
    torch.save(tv_state, tv_path)
    save_converted_checkpoint(
        converter.convert_raft(tv_state, 'mmflow'), mm_path)
    torch.manual_seed(args.seed)
    estimators = {
        f'DIS ({args.dis_preset})': DISFlow(args.dis_preset),
        'RAFT-small (torchvision)': RAFTFlow(
            'small', num_flow_updates=args.iters),
        'RAFT-large (torchvision)': RAFTFlow(
            'large', checkpoint=tv_path, num_flow_updates=args.iters),
        'RAFT (mmflow)': MMFlowEstimator(
            args.mmflow_config,
            checkpoint=mm_path,
            iters=args.iters,
            cfg_options={'model.data_preprocessor.bgr_to_rgb': True}),
    }
    for est in estimators.values():
        est.to(args.device).eval()
    return estimators


def _load_converter():
    import importlib.util
    path = osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'model_converters',
        'raft_torchvision_mmflow.py')
    spec = importlib.util.spec_from_file_location('raft_torchvision_mmflow',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; returns what ``--json`` writes."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    frames_t, frames_s = read_pair(args.frames)
    with tempfile.TemporaryDirectory() as workdir:
        estimators = build_estimators(args, workdir)
    flows = {}
    times: Dict[str, List[float]] = {name: [] for name in estimators}
    cpu_times: Dict[str, List[float]] = {name: [] for name in estimators}
    progress = mmengine.ProgressBar(
        (args.warmup + args.repeats) * len(estimators))
    with torch.no_grad():
        for repeat in range(args.warmup + args.repeats):
            for name, est in estimators.items():
                _sync(args.device)
                tic, cpu_tic = time.perf_counter(), time.process_time()
                flows[name] = est(frames_t, frames_s)
                _sync(args.device)
                if repeat >= args.warmup:
                    times[name].append(time.perf_counter() - tic)
                    cpu_times[name].append(time.process_time() - cpu_tic)
                progress.update()
    diff = (flows['RAFT-large (torchvision)'] -
            flows['RAFT (mmflow)']).abs().max().item()
    table = PrettyTable([
        'estimator', 's/pair (median)', 's/pair (min)',
        'CPU s/pair (median)'
    ])
    for name, values in times.items():
        table.add_row([
            name, f'{statistics.median(values):.3f}', f'{min(values):.3f}',
            f'{statistics.median(cpu_times[name]):.3f}'
        ])
    h, w = frames_t.shape[2:]
    print(f'\n{h}x{w}, {args.iters} RAFT updates, {torch.get_num_threads()} '
          f'threads, device {args.device}, {platform.processor() or "cpu"}')
    print(table.get_string())
    print(f'max |RAFT-large (torchvision) - RAFT (mmflow)| = {diff:.3g} px '
          '(same random weights)')
    report = dict(
        size=[h, w],
        iters=args.iters,
        threads=torch.get_num_threads(),
        device=args.device,
        torch=torch.__version__,
        estimators={
            name: dict(
                median_s=statistics.median(values),
                min_s=min(values),
                cpu_median_s=statistics.median(cpu_times[name]),
                times_s=values,
                cpu_times_s=cpu_times[name])
            for name, values in times.items()
        },
        raft_large_vs_mmflow_max_abs_px=diff)
    if args.json:
        mmengine.dump(report, args.json, indent=2)
    return report


if __name__ == '__main__':
    main()
