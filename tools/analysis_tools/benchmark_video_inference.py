# Copyright (c) mmvseg contributors. All rights reserved.
"""Streaming cost of ``VideoSegInferencer`` against the model's own forward.

Two measurements, recorded in ``docs/en/benchmarks/video_inference.md``:

1. **Per-frame time, side by side in one process.** The same frames (a
   video file or a folder; by default a generated pan, below) are

   - decoded, passed through the config's test pipeline and the model's
     data pre-processor *beforehand*, held in memory, and segmented by the
     model's own forward, ``model.predict`` on the whole clip
     (``predict_clip`` + mmseg's post-processing: what ``tools/test.py``
     times without its data loading): the **model**;
   - segmented by :class:`mmvseg.apis.VideoSegInferencer` from the file,
     one frame at a time, writing the overlay mp4, the label PNGs and the
     JSON summary: the **inferencer** (decoding, pre-processing, writing
     included; decoding and writing run in background threads).

   The two alternate ``--repeats`` times; the ratio is taken from the
   medians of the per-frame times (ms), and the inferencer's own breakdown
   (image model, video overhead, waiting for frames, writing) is reported
   for its median run.

2. **Peak memory against the video's length.** For each length of
   ``--memory`` (default 100 and 1,000 frames) a fresh interpreter streams
   a generated video of that length through the inferencer with all
   writers, and reports its peak resident memory (``VmHWM``), the
   resident memory (and its peak) once the model is built, before the
   first frame, and the resident memory every 50 frames.

The generated video (``--size``, default CamVid's 360x480) is a textured
panorama (blocks of colour and noise, a few vertical "poles") panning 2 px
a frame, written with OpenCV as an mp4 (``mp4v``, 15 fps); the pan wraps
around, so any length can be made.

Example::

    python tools/analysis_tools/benchmark_video_inference.py \\
        configs/espnet/espnet_p2-q8_camvid-360x480.py \\
        checkpoints/espnet_p2-q8_camvid-360x480.pth \\
        --frames 100 --repeats 3 --memory 100 1000 \\
        --json work_dirs/video_inference_espnet.json
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import DictAction

from mmvseg.apis import (VideoSegInferencer, load_config, open_video_source,
                         write_summary)
from mmvseg.apis.inference import VideoStream
from mmvseg.structures import VideoSegDataSample


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Per-frame time and peak memory of video inference')
    parser.add_argument('config', help='config file or mmvseg:: name')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--source', help='video file or folder of frames '
                        '(default: a generated pan of --frames frames)')
    parser.add_argument('--frames', type=int, default=100,
                        help='frames of the timed video')
    parser.add_argument('--size', type=int, nargs=2, default=[360, 480],
                        metavar=('H', 'W'), help='generated frame size')
    parser.add_argument('--repeats', type=int, default=3,
                        help='alternating runs of model and inferencer')
    parser.add_argument('--memory', type=int, nargs='*', default=[100, 1000],
                        help='video lengths of the memory runs (none: skip)')
    parser.add_argument('--threads', type=int,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-writers', action='store_true',
                        help='time the inferencer without any writer')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_video',
                        help='generated videos and outputs')
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--no-speed', action='store_true',
                        help='skip the time measurement')
    parser.add_argument('--memory-run', type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def generate_pan(path: str, num_frames: int, height: int, width: int,
                 fps: float = 15., step: int = 2, seed: int = 0) -> str:
    """Write a panning video (mp4v) of ``num_frames`` (height, width) frames;
    reuse the file when it exists. Returns its path."""
    if osp.isfile(path):
        return path
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    rng = np.random.default_rng(seed)
    period = 4 * width
    world = np.repeat(
        rng.integers(40, 220, (1, period // 16, 3), np.uint8).repeat(16, 1),
        height, 0)
    world[:height // 3] = (200, 170, 150)  # sky
    world[2 * height // 3:] = (90, 80, 90)  # road
    world = np.clip(world + rng.normal(0, 12, world.shape), 0,
                    255).astype(np.uint8)
    for x in range(8, period, 97):  # poles
        world[height // 5:2 * height // 3, x:x + 3] = (30, 30, 30)
    world = np.concatenate([world, world[:, :width]], axis=1)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    for t in range(num_frames):
        x = (step * t) % period
        writer.write(np.ascontiguousarray(world[:, x:x + width]))
    writer.release()
    return path


def rss_mib() -> float:
    """Current resident memory of this process in MiB (Linux)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB: ``VmHWM`` of
    ``/proc/self/status`` (``ru_maxrss`` keeps the peak of the process
    before ``exec``, i.e. of the parent that forked it)."""
    return VideoSegInferencer.peak_rss_mib()


def build_inferencer(args: argparse.Namespace) -> VideoSegInferencer:
    return VideoSegInferencer(
        load_config(args.config, args.cfg_options),
        args.checkpoint,
        device=args.device,
        show_progress=False)


def prepared_clip(inferencer: VideoSegInferencer, source: str):
    """Every frame decoded and prepared: inputs (1, T, 3, H, W) and the
    clip's sample, as ``model.predict`` takes them, and the (H, W) of the
    source frames."""
    video = VideoStream(inferencer.model, open_video_source(source),
                        pipeline=inferencer.pipeline, prefetch=0)
    tensors, samples = [], []
    for _, tensor, sample in video.prepared():
        tensors.append(tensor)
        samples.append(sample)
    clip = VideoSegDataSample(
        metainfo=dict(
            key_frames_inds=list(range(len(samples))), ref_frames_inds=[]))
    clip.video_data_samples = samples
    return torch.stack(tensors)[None], clip, video.stats.frame_shape


def time_model(model: torch.nn.Module, inputs: torch.Tensor,
               clip: VideoSegDataSample) -> float:
    """ms per frame of ``model.predict`` on the prepared clip."""
    clip = copy.deepcopy(clip)
    start = time.perf_counter()
    with torch.no_grad():
        model.predict(inputs, [clip])
    return 1000 * (time.perf_counter() - start) / inputs.shape[1]


def time_inferencer(inferencer: VideoSegInferencer, source: str,
                    out_dir: str, writers: bool) -> Dict:
    """ms per frame of the inferencer (wall time of the call) and its
    summary."""
    outputs = dict(
        out_video=osp.join(out_dir, 'overlay.mp4'),
        png_dir=osp.join(out_dir, 'pngs'),
        summary_json=osp.join(out_dir, 'summary.json')) if writers else {}
    start = time.perf_counter()
    result = inferencer(source, **outputs)
    wall = time.perf_counter() - start
    frames = result['summary']['frames']
    return dict(ms=1000 * wall / frames, summary=result['summary'])


def speed(args: argparse.Namespace, source: str) -> Dict:
    """Measurement 1 (see the module docstring)."""
    inferencer = build_inferencer(args)
    inputs, clip, frame_shape = prepared_clip(inferencer, source)
    model = inferencer.model
    writers = not args.no_writers
    out_dir = osp.join(args.work_dir, 'outputs')
    # warm-up (oneDNN kernels, OpenCV, file cache) on a few frames
    time_model(model, inputs[:, :3], _sub_clip(clip, 3))
    inferencer(source, max_frames=3)
    model_ms, inferencer_runs = [], []
    for _ in range(args.repeats):
        model_ms.append(time_model(model, inputs, clip))
        inferencer_runs.append(
            time_inferencer(inferencer, source, out_dir, writers))
    inferencer_ms = [run['ms'] for run in inferencer_runs]
    median_run = sorted(inferencer_runs, key=lambda r: r['ms'])[
        len(inferencer_runs) // 2]
    model_median = statistics.median(model_ms)
    inferencer_median = statistics.median(inferencer_ms)
    return dict(
        frames=int(inputs.shape[1]),
        frame_size=list(frame_shape),
        input_size=list(inputs.shape[-2:]),
        model_ms=[round(v, 2) for v in model_ms],
        inferencer_ms=[round(v, 2) for v in inferencer_ms],
        model_median_ms=round(model_median, 2),
        inferencer_median_ms=round(inferencer_median, 2),
        ratio=round(inferencer_median / model_median, 4),
        ratio_per_repeat=[
            round(i / m, 4) for i, m in zip(inferencer_ms, model_ms)
        ],
        writers=writers,
        inferencer_breakdown=median_run['summary']['ms_per_frame'])


def _sub_clip(clip: VideoSegDataSample, num: int) -> VideoSegDataSample:
    sub = VideoSegDataSample(metainfo=dict(
        key_frames_inds=list(range(num)), ref_frames_inds=[]))
    sub.video_data_samples = clip.video_data_samples[:num]
    return sub


def memory_run(args: argparse.Namespace) -> Dict:
    """One memory measurement in this (fresh) process."""
    inferencer = build_inferencer(args)
    setup, setup_peak = rss_mib(), peak_rss_mib()
    out_dir = osp.join(args.work_dir, f'memory_{args.memory_run}')
    curve = []
    frames = 0
    for frames, _ in enumerate(
            inferencer.stream(
                args.source,
                out_video=osp.join(out_dir, 'overlay.mp4'),
                png_dir=osp.join(out_dir, 'pngs'),
                summary_json=osp.join(out_dir, 'summary.json')), 1):
        if frames % 50 == 0:
            curve.append([frames, round(rss_mib(), 1)])
    return dict(
        frames=frames,
        setup_rss_mib=round(setup, 1),
        setup_peak_rss_mib=round(setup_peak, 1),
        peak_rss_mib=round(peak_rss_mib(), 1),
        rss_every_50_frames=curve,
        ms_per_frame=inferencer.summary['ms_per_frame']['total'])


def child_argv(args: argparse.Namespace) -> List[str]:
    """The arguments of a memory run (model, size, device, threads)."""
    argv = [args.config, args.checkpoint, '--size'] + [
        str(v) for v in args.size
    ] + ['--device', args.device, '--work-dir', args.work_dir]
    if args.threads:
        argv += ['--threads', str(args.threads)]
    if args.cfg_options:
        argv += ['--cfg-options'] + [
            f'{k}={v}' for k, v in args.cfg_options.items()
        ]
    return argv


def memory(args: argparse.Namespace, argv: Sequence[str]) -> Dict:
    """Measurement 2: one fresh interpreter per video length."""
    results = {}
    height, width = args.size
    for length in args.memory:
        video = generate_pan(
            osp.join(args.work_dir, f'pan_{length}_{height}x{width}.mp4'),
            length, height, width)
        cmd = [sys.executable, osp.abspath(__file__)] + list(argv) + [
            '--memory-run', str(length), '--source', video]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f'memory run of {length} frames failed:\n'
                               f'{proc.stderr[-3000:]}')
        results[str(length)] = json.loads(
            proc.stdout.strip().splitlines()[-1])
    if len(results) > 1:
        peaks = [r['peak_rss_mib'] for r in results.values()]
        results['peak_ratio_longest_to_shortest'] = round(
            peaks[-1] / peaks[0], 4)
    return results


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; returns (and with ``--json`` writes) the
    results."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_run:
        print(json.dumps(memory_run(args)))
        return {}
    source = args.source if args.source or args.no_speed else generate_pan(
        osp.join(args.work_dir,
                 f'pan_{args.frames}_{args.size[0]}x{args.size[1]}.mp4'),
        args.frames, *args.size)
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        source=source,
        device=args.device,
        torch_threads=torch.get_num_threads(),
        machine=dict(
            processor=platform.processor() or platform.machine(),
            cpus=os.cpu_count(),
            load_average_start=[round(v, 2) for v in os.getloadavg()]),
        speed=None if args.no_speed else speed(args, source))
    if args.memory:
        results['memory'] = memory(args, child_argv(args))
    results['machine']['load_average_end'] = [
        round(v, 2) for v in os.getloadavg()
    ]
    print(json.dumps(results, indent=2))
    if args.json:
        write_summary(args.json, results)
    return results


if __name__ == '__main__':
    main()
