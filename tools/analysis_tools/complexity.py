# Copyright (c) mmvseg contributors. All rights reserved.
"""Parameters, GFLOPs and latency per frame of video segmentors and of their
image models, on the same synthetic clip.

For each config the tool builds the video segmentor (``model``) and its
image model run frame by frame (``VideoEncoderDecoder`` around
``model.image_model``, with the same preprocessor, logit upsampling and
weights), both with random weights (weight files named in the config are
used only when they exist). The clip is a smooth random texture seen by a
camera panning 3 px right and 1 px down a frame, so that flow and feature
registration see real motion.

Per-frame numbers are those of ``predict_clip`` over the frames
``--skip`` .. ``--skip + --frames - 1`` of the clip, i.e. in the steady
state (TCB's first three frames run the image model alone) and, with the
default 8 frames, over one DFF key interval (one key frame and seven
propagated ones):

- parameters: every parameter of the model (``mmengine.analysis.
  parameter_count``), with the part outside the image model (flow network,
  registration, similarity head, clip block, ...);
- GFLOPs: mmengine's fvcore-style counter (``mmengine.analysis.
  FlopAnalyzer``: one multiply-add = one flop, traced with ``torch.jit``),
  ``(F(skip + frames) - F(skip)) / frames`` with F(n) the count of
  ``predict_clip`` on the first n frames; work done outside torch (OpenCV
  DIS flow, SIFT registration) and operators without a counting rule
  (``grid_sample`` warps, ...) count 0;
- latency: wall time of each ``predict_clip`` step (``torch.no_grad``,
  eval mode; on CUDA synchronised), mean over the frames, median over
  ``--repeats`` runs after one warm-up run. The image model and the video
  segmentor alternate frame by frame, so both see the same machine state.

Example (docs/en/benchmarks/complexity.md has the full command of its
table)::

    python tools/analysis_tools/complexity.py \\
        configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py \\
        configs/dff/dff_espnet-p2-q8_1xb4-2k_camvid-360x480.py \\
        --size 360 480 --device cpu --json complexity.json
"""
import argparse
import copy
import os.path as osp
import platform
import statistics
import time
from typing import Dict, List, Optional, Sequence

import mmengine
import torch
import torch.nn.functional as F
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from mmvseg.registry import MODELS

#: config keys naming weight files read when a module is built
WEIGHT_KEYS = ('checkpoint', 'disk_weights', 'lightglue_weights')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Parameters, GFLOPs and latency per frame of video '
        'segmentors and their image models')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--size', type=int, nargs=2, default=(360, 480),
                        metavar=('H', 'W'), help='frame size (360 480)')
    parser.add_argument('--frames', type=int, default=8,
                        help='frames measured per clip (8)')
    parser.add_argument('--skip', type=int, default=3,
                        help='frames run before the measured ones (3)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs of the clip (3)')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--no-flops', action='store_true',
                        help='skip the FLOP count')
    parser.add_argument('--no-latency', action='store_true',
                        help='skip the timing')
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of every config, key=value')
    args = parser.parse_args(argv)
    if args.frames < 1 or args.skip < 0 or args.repeats < 1:
        parser.error('--frames and --repeats must be >= 1, --skip >= 0')
    return args


def synthetic_clip(num_frames: int, height: int, width: int,
                   seed: int = 0) -> Tensor:
    """(T, 3, H, W) float frames in 0-255: a smooth random texture panned
    3 px right and 1 px down a frame."""
    generator = torch.Generator().manual_seed(seed)
    pad = 3 * num_frames
    coarse = torch.rand(1, 3, (height + pad) // 16 + 2,
                        (width + pad) // 16 + 2, generator=generator)
    fine = torch.rand(1, 3, height + pad, width + pad, generator=generator)
    texture = F.interpolate(coarse, size=fine.shape[2:], mode='bicubic',
                            align_corners=False) * 200 + fine * 55
    return torch.cat([
        texture[:, :, t:t + height, 3 * t:3 * t + width]
        for t in range(num_frames)
    ]).clamp(0, 255)


def drop_absent_weights(node) -> None:
    """Weight paths that do not exist here -> None (random weights)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in WEIGHT_KEYS and isinstance(value, str) and \
                    not osp.isfile(value):
                node[key] = None
            else:
                drop_absent_weights(value)
    elif isinstance(node, list):
        for item in node:
            drop_absent_weights(item)


def build_models(cfg: Config) -> Dict[str, nn.Module]:
    """The video segmentor of ``cfg`` and its image model, random weights,
    eval mode. Training-only parts (SSP's consistency loss) are left out;
    pretrained ``init_cfg`` are not applied."""
    model_cfg = copy.deepcopy(cfg.model)
    drop_absent_weights(model_cfg)
    if model_cfg.type == 'SSP':
        model_cfg.loss_tc = None
    model = MODELS.build(model_cfg)
    image = MODELS.build(
        dict(
            type='VideoEncoderDecoder',
            image_model=copy.deepcopy(model_cfg.image_model),
            data_preprocessor=copy.deepcopy(model_cfg.data_preprocessor),
            logits_upsample=model.logits_upsample))
    image.image_model.load_state_dict(model.image_model.state_dict())
    return dict(image=image.eval(), video=model.eval())


def normalise(model: nn.Module, frames: Tensor) -> Tensor:
    """Frames as the model's preprocessor gives them (channel order,
    mean / std)."""
    pre = model.data_preprocessor
    if pre.channel_conversion:
        frames = frames.flip(1)
    if pre._enable_normalize:
        frames = (frames - pre.mean.cpu()) / pre.std.cpu()
    return frames


def frame_samples(num: int, size: Sequence[int]) -> List[SegDataSample]:
    size = tuple(size)
    return [
        SegDataSample(metainfo=dict(
            img_shape=size, ori_shape=size, pad_shape=size, frame_id=t))
        for t in range(num)
    ]


class ClipForward(nn.Module):
    """``predict_clip`` on the first ``num_frames`` frames as a forward for
    the FLOP counter (logits of every frame, concatenated)."""

    def __init__(self, model: nn.Module, num_frames: int) -> None:
        super().__init__()
        self.model = model
        self.num_frames = num_frames

    def forward(self, frames: Tensor) -> Tensor:
        frames = frames[:self.num_frames]
        return torch.cat(list(self.model.predict_clip(
            frames, frame_samples(self.num_frames, frames.shape[2:]))))


def count_flops(model: nn.Module, frames: Tensor, skip: int,
                num: int) -> Dict[str, float]:
    """Per-frame GFLOPs of frames ``skip`` .. ``skip + num - 1``: total and
    by direct child of the model (``image_model``, ``flow``, ...)."""

    def analyse(n: int) -> Dict[str, float]:
        if n == 0:
            return {}
        analyzer = FlopAnalyzer(ClipForward(model, n), (frames, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        with torch.no_grad():
            counts = analyzer.by_module()
        children = {
            name: counts.get(f'model.{name}', 0)
            for name, _ in model.named_children()
        }
        return dict(children, total=counts[''])

    end, start = analyse(skip + num), analyse(skip)
    return {
        name: (value - start.get(name, 0)) / num / 1e9
        for name, value in end.items()
    }


def count_params(model: nn.Module) -> Dict[str, float]:
    """Parameters in millions: total and by direct child."""
    counts = parameter_count(model)
    out = {
        name: counts.get(name, 0) / 1e6
        for name, _ in model.named_children()
    }
    out['total'] = counts[''] / 1e6
    return out


def time_side_by_side(models: Dict[str, nn.Module], frames: Tensor,
                      skip: int, repeats: int) -> Dict[str, float]:
    """Median over ``repeats`` runs (after one warm-up run) of the mean
    seconds per frame of frames ``skip`` .. end, for each model; the models
    step alternately through the clip."""
    device = frames.device

    def now() -> float:
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        return time.perf_counter()

    samples = frame_samples(frames.shape[0], frames.shape[2:])
    runs: Dict[str, List[float]] = {name: [] for name in models}
    for _ in range(repeats + 1):
        steps = {
            name: model.predict_clip(frames, samples)
            for name, model in models.items()
        }
        seconds = {name: 0.0 for name in models}
        for t in range(frames.shape[0]):
            for name, step in steps.items():
                start = now()
                next(step)
                if t >= skip:
                    seconds[name] += now() - start
        for name in models:
            runs[name].append(seconds[name] / (frames.shape[0] - skip))
    return {name: statistics.median(values[1:])
            for name, values in runs.items()}


def measure(path: str, args: argparse.Namespace) -> dict:
    """The numbers of one config (see the module docstring)."""
    cfg = Config.fromfile(path)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    models = build_models(cfg)
    device = torch.device(args.device)
    frames = synthetic_clip(args.skip + args.frames, *args.size)
    inputs = normalise(models['video'], frames).to(device)
    result = dict(config=path, model=model_name(models['video']))
    for name, model in models.items():
        model.to(device)
        result[name] = dict(params_m=count_params(model))
        if not args.no_flops:
            result[name]['gflops'] = count_flops(
                model, inputs, args.skip, args.frames)
    if not args.no_latency:
        with torch.no_grad():
            seconds = time_side_by_side(models, inputs, args.skip,
                                        args.repeats)
        for name in models:
            result[name]['ms'] = 1e3 * seconds[name]
        result['latency_ratio'] = seconds['video'] / seconds['image']
    return result


def model_name(model: nn.Module) -> str:
    """The class name; TCB with its clip block (TCB-PPM, TCB-OCR)."""
    name = type(model).__name__
    block = getattr(model, 'clip_block', None)
    if block is not None:
        name += '-' + type(block).__name__.replace('Clip', '').replace(
            'Block', '')
    return name


def table(results: List[dict]) -> str:
    """Markdown table: one row per video segmentor and per distinct image
    model (same parameters and FLOPs)."""
    flops = 'gflops' in results[0]['video']
    latency = 'ms' in results[0]['video']
    header = ['model', 'config', 'params (M)',
              'outside the image model (M)']
    header += ['GFLOPs / frame'] if flops else []
    header += ['ms / frame', 'x image model'] if latency else []
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    seen = set()
    for result in results:
        rows = []
        image = result['image']
        key = (image['params_m']['total'],
               image.get('gflops', {}).get('total'))
        if key not in seen:
            seen.add(key)
            rows.append(('image model', image, '1.00'))
        rows.append((result['model'], result['video'],
                     f'{result.get("latency_ratio", 0):.2f}'))
        for name, numbers, ratio in rows:
            params = numbers['params_m']
            cells = [
                name,
                osp.basename(result['config']), f'{params["total"]:.3f}',
                f'{params["total"] - params.get("image_model", 0):.3f}'
            ]
            cells += [f'{numbers["gflops"]["total"]:.2f}'] if flops else []
            cells += [f'{numbers["ms"]:.1f}', ratio] if latency else []
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = [measure(path, args) for path in args.configs]
    device = torch.device(args.device)
    output = dict(
        size=list(args.size),
        frames=args.frames,
        skip=args.skip,
        repeats=args.repeats,
        device=(torch.cuda.get_device_name(device) if device.type == 'cuda'
                else platform.processor() or 'cpu'),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        results=results)
    print(f'{args.size[0]}x{args.size[1]}, frames {args.skip}..'
          f'{args.skip + args.frames - 1} of a panning clip, '
          f'{output["device"]}, {output["threads"]} threads, median of '
          f'{args.repeats} runs:')
    print(table(results))
    if args.json:
        mmengine.dump(output, args.json, file_format='json', indent=2)
    return output


if __name__ == '__main__':
    main()
