# Copyright (c) mmvseg contributors. All rights reserved.
"""Benchmark the exact windowed top-k affinity against the dense reference.

Both methods score the same random, L2-normalised features of a synthetic
video and return the top-k weights and indices of every query cell, with
the semantics of the label propagation of ajabri/videowalk ``code/test.py``
(joint top-k over all context cells, radius on the short-term slots only,
softmax over the k kept scores / T):

- ``dense``: the strategy of ajabri/videowalk ``mem_efficient_batched_
  affinity`` (also run by CatMAE), re-implemented here: gather the features
  of all context slots of the query frames, build the dense ``P x P``
  radius mask (``-1e10`` outside, added to the short-term slots), score
  2 query frames x 100 query cells at a time against all ``(n + 1) * P``
  candidates, divide by T, ``torch.topk``, softmax.
- ``ours``: :func:`mmvseg.models.propagation.topk_affinity`, one query frame
  at a time.

Queries are the frames t = n+1 .. n+Q of the synthetic video, so every
query has n distinct short-term frames (for t <= n videowalk's left padding
repeats frame 0 among the short-term slots).

Time: wall clock (``time.perf_counter``) of the computation, per query
frame, with the same number of torch threads for both methods. With
``--query-rows R`` the dense method scores only the cells of the first R
rows and its scoring time is scaled by ``P / (R * w)`` (its cost per query
cell does not depend on the position); the dense mask is built once per
video and reported apart; ``ours`` always runs on whole frames.

Memory: each method runs in a fresh subprocess; peak memory = resident-set
high-water mark (``ru_maxrss``) after the computation minus the resident set
size just before it, when the input features are already allocated. This
counts every allocation of the computation (torch, allocator overhead) and
is exact when the computation raises the high-water mark, an upper bound
otherwise (the report says so).

Examples::

    python tools/analysis_tools/benchmark_label_propagation.py --quick
    python tools/analysis_tools/benchmark_label_propagation.py \\
        --query-rows 10 --threads 1
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import torch
import torch.nn.functional as F
from torch import Tensor

from mmvseg.models.propagation import topk_affinity

QUERY_CHUNK_FRAMES = 2
QUERY_CHUNK_CELLS = 100


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Windowed top-k affinity vs the dense reference')
    parser.add_argument('--height', type=int, default=60,
                        help='feature grid rows h (CRW: 60)')
    parser.add_argument('--width', type=int, default=110,
                        help='feature grid columns w (CRW on 480x880: 110)')
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--num-context', type=int, default=20,
                        help='short-term context frames n')
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--radius', type=float, default=12.)
    parser.add_argument('--temperature', type=float, default=0.05)
    parser.add_argument('--num-queries', type=int, default=2,
                        help='query frames Q timed per method')
    parser.add_argument('--query-rows', type=int,
                        help='score only the first R query rows with the '
                        'dense method and extrapolate its time')
    parser.add_argument('--tile-size', type=int, default=10,
                        help='query tile side of topk_affinity')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads for both methods')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--quick', action='store_true',
                        help='small size: 20x30 grid, 64 channels, n=5, '
                        'r=4, all rows')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--worker', choices=('dense', 'ours'),
                        help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.height, args.width, args.channels = 20, 30, 64
        args.num_context, args.radius, args.query_rows = 5, 4., None
    if args.query_rows is not None and not 0 < args.query_rows <= args.height:
        parser.error(f'--query-rows must be in [1, {args.height}]')
    return args


def make_features(args: argparse.Namespace) -> Tensor:
    """(V, C, h, w) L2-normalised drifting features, V = n + 1 + Q.

    Filled frame by frame so that no transient copy of the video raises the
    resident-set high-water mark before the measurement.
    """
    gen = torch.Generator().manual_seed(args.seed)
    num_frames = args.num_context + 1 + args.num_queries
    shape = (args.channels, args.height, args.width)
    feats = torch.empty(num_frames, *shape)
    feats[0] = torch.randn(shape, generator=gen)
    for t in range(1, num_frames):
        feats[t] = feats[t - 1] + 0.3 * torch.randn(shape, generator=gen)
    for t in range(num_frames):
        feats[t] = F.normalize(feats[t], dim=0)
    return feats


def context_slots(t: int, num_context: int) -> List[int]:
    """Frame 0 (long-term) + frames t-n .. t-1 (for t > n)."""
    return [0] + list(range(t - num_context, t))


def query_frames(args: argparse.Namespace) -> List[int]:
    first = args.num_context + 1
    return list(range(first, first + args.num_queries))


def run_ours(feats: Tensor,
             args: argparse.Namespace) -> Tuple[Tensor, Tensor, Dict]:
    weights, indices = [], []
    start = time.perf_counter()
    for t in query_frames(args):
        context = [feats[s] for s in context_slots(t, args.num_context)]
        w, i = topk_affinity(feats[t], context, args.topk, args.temperature,
                             radius=args.radius, tile_size=args.tile_size)
        weights.append(w)
        indices.append(i)
    seconds = time.perf_counter() - start
    timing = dict(per_frame_s=seconds / args.num_queries)
    return torch.stack(weights), torch.stack(indices), timing


def dense_radius_mask(h: int, w: int, radius: float) -> Tensor:
    """(P, P) float32: 0 where dist < radius, -1e10 elsewhere."""
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    coords = torch.stack([yy, xx], -1).reshape(-1, 2).float()
    dist = torch.cdist(coords, coords)
    return torch.where(dist < radius, 0., -1e10)


def run_dense(feats: Tensor,
              args: argparse.Namespace) -> Tuple[Tensor, Tensor, Dict]:
    num_frames, channels, h, w = feats.shape
    num_cells = h * w
    rows = args.height if args.query_rows is None else args.query_rows
    num_query_cells = rows * w
    frames = query_frames(args)

    start = time.perf_counter()
    mask = dense_radius_mask(h, w, args.radius)
    mask_s = time.perf_counter() - start

    start = time.perf_counter()
    flat = feats.reshape(num_frames, channels, num_cells)
    key_index = torch.tensor(
        [context_slots(t, args.num_context) for t in frames])
    keys = flat[key_index]  # gathered copy: (Q, n + 1, C, P)
    queries = flat[frames]
    gather_s = time.perf_counter() - start

    weights, indices = [], []
    start = time.perf_counter()
    for f0 in range(0, len(frames), QUERY_CHUNK_FRAMES):
        k_chunk = keys[f0:f0 + QUERY_CHUNK_FRAMES]
        q_chunk = queries[f0:f0 + QUERY_CHUNK_FRAMES]
        chunk_w, chunk_i = [], []
        for p0 in range(0, num_query_cells, QUERY_CHUNK_CELLS):
            p1 = min(num_query_cells, p0 + QUERY_CHUNK_CELLS)
            scores = torch.einsum('fscp,fcq->fspq', k_chunk,
                                  q_chunk[..., p0:p1])
            scores[:, 1:] += mask[:, p0:p1]
            scores = scores.reshape(len(k_chunk), -1, p1 - p0)
            scores /= args.temperature
            values, ids = scores.topk(args.topk, dim=1)
            chunk_w.append(values.softmax(dim=1))
            chunk_i.append(ids)
        weights.append(torch.cat(chunk_w, dim=2))
        indices.append(torch.cat(chunk_i, dim=2))
    score_s = time.perf_counter() - start

    scale = num_cells / num_query_cells
    timing = dict(
        mask_once_s=mask_s,
        gather_per_frame_s=gather_s / len(frames),
        measured_score_per_frame_s=score_s / len(frames),
        per_frame_s=(gather_s + score_s * scale) / len(frames),
        extrapolated=scale != 1,
        scored_cells=num_query_cells)
    return torch.cat(weights), torch.cat(indices), timing


def current_rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(args: argparse.Namespace) -> None:
    """Run one method in this fresh process and report on stdout."""
    torch.set_num_threads(args.threads)
    feats = make_features(args)
    baseline = current_rss_bytes()
    peak_before = peak_rss_bytes()
    run = run_dense if args.worker == 'dense' else run_ours
    with torch.no_grad():
        weights, indices, timing = run(feats, args)
    peak = peak_rss_bytes()
    torch.save(dict(weights=weights, indices=indices), args.out)
    print(json.dumps(dict(
        timing,
        peak_extra_bytes=peak - baseline,
        input_bytes=feats.numel() * feats.element_size(),
        baseline_rss_bytes=baseline,
        high_water_before_bytes=peak_before,
        high_water_after_bytes=peak)))


def spawn(method: str, argv: Sequence[str], out: str) -> Dict:
    cmd = [sys.executable, os.path.abspath(__file__), *argv,
           '--worker', method, '--out', out]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f'{method} worker failed:\n{proc.stderr}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(ours_file: str, dense_file: str) -> Dict:
    ours, dense = torch.load(ours_file), torch.load(dense_file)
    cells = dense['weights'].shape[-1]
    w_ours = ours['weights'][..., :cells]
    i_ours = ours['indices'][..., :cells]
    same_order = (i_ours == dense['indices']).all(dim=1)
    same_set = (i_ours.sort(dim=1).values == dense['indices'].sort(
        dim=1).values).all(dim=1)
    return dict(
        compared_cells_per_frame=cells,
        max_abs_weight_diff=float(
            (w_ours - dense['weights']).abs().max()),
        index_sets_equal=float(same_set.float().mean()),
        index_lists_equal=float(same_order.float().mean()))


def cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mb(num_bytes: float) -> str:
    return f'{num_bytes / 2**20:.1f} MiB'


def report(args: argparse.Namespace, argv: Sequence[str], dense: Dict,
           ours: Dict, agreement: Dict) -> Dict:
    result = dict(
        command='python tools/analysis_tools/benchmark_label_propagation.py '
        + ' '.join(argv),
        machine=dict(
            cpu=cpu_name(),
            cores=os.cpu_count(),
            threads=args.threads,
            torch=torch.__version__,
            python=platform.python_version()),
        setup=dict(
            grid=[args.height, args.width], channels=args.channels,
            slots=args.num_context + 1, topk=args.topk, radius=args.radius,
            temperature=args.temperature, query_frames=args.num_queries,
            query_rows=args.query_rows, tile_size=args.tile_size,
            dtype='float32'),
        dense=dense, ours=ours, agreement=agreement,
        speedup=dense['per_frame_s'] / ours['per_frame_s'],
        memory_ratio=ours['peak_extra_bytes'] / dense['peak_extra_bytes'])
    extra = (f" (scored {dense['scored_cells']} cells per frame, time "
             'scaled to the whole frame)' if dense['extrapolated'] else '')
    print(f"grid {args.height}x{args.width}, C={args.channels}, "
          f"{args.num_context + 1} slots, k={args.topk}, r={args.radius}, "
          f"T={args.temperature}, float32, {args.threads} thread(s)")
    print(f"dense reference: {dense['per_frame_s']:.2f} s per query frame"
          f"{extra}; gather {dense['gather_per_frame_s']:.3f} s per frame; "
          f"mask {dense['mask_once_s']:.2f} s once per video; "
          f"peak {mb(dense['peak_extra_bytes'])} above the inputs")
    print(f"ours (windowed): {ours['per_frame_s']:.2f} s per query frame; "
          f"peak {mb(ours['peak_extra_bytes'])} above the inputs")
    print(f"speed-up {result['speedup']:.1f}x; peak memory ratio "
          f"{result['memory_ratio']:.4f} (1/{1 / result['memory_ratio']:.0f})")
    print(f"agreement on {agreement['compared_cells_per_frame']} cells x "
          f"{args.num_queries} frames: max |dW| = "
          f"{agreement['max_abs_weight_diff']:.2e}, identical index sets "
          f"{100 * agreement['index_sets_equal']:.2f} %, identical ordered "
          f"lists {100 * agreement['index_lists_equal']:.2f} %")
    for name, res in (('dense', dense), ('ours', ours)):
        if res['high_water_after_bytes'] <= res['high_water_before_bytes']:
            print(f'note: the {name} computation did not raise the '
                  'resident-set high-water mark set before it; its peak is '
                  'an upper bound')
    return result


def main(argv: Optional[Sequence[str]] = None) -> Optional[Dict]:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        ours_file, dense_file = f'{tmp}/ours.pth', f'{tmp}/dense.pth'
        ours = spawn('ours', argv, ours_file)
        dense = spawn('dense', argv, dense_file)
        agreement = compare(ours_file, dense_file)
    result = report(args, argv, dense, ours, agreement)
    if args.json:
        mmengine.dump(result, args.json, file_format='json', indent=2)
    return result


if __name__ == '__main__':
    main()
