# Copyright (c) mmvseg contributors. All rights reserved.
"""Score saved predictions with a temporal-consistency protocol.

Scores exactly as :class:`mmvseg.evaluation.metrics.TemporalConsistencyMetric`
(the same classes do the work), so predictions of any code base can be
compared with mmvseg runs. Protocols: ``ssp`` (FraunhoferIVI/SSP
``utils/metrics.py``), ``etc``
(irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
``tool/eval_tc.py``) and ``vspw`` (VSPW-dataset/VSPW_code ``VC_perclip.py``);
see :mod:`mmvseg.evaluation.metrics.temporal_consistency`.

Layout: each of ``--frames``, ``--preds`` (and ``--gts``, ``--flows``) holds
one sub-folder per clip; frames, prediction PNGs and label PNGs are paired by
their sorted order inside a clip. Prediction and label PNGs hold class ids:
grey (8 or 16 bit) or palette PNGs (read as their indices, e.g. the
``--save-pngs`` output of ``demo/video_demo.py``). ``--flows`` holds
``<clip>/<frame stem>.flo`` = ``f_{i->i+1}`` on frame i's grid and replaces
flow estimation (OpenCV DIS by default).

Example::

    python tools/analysis_tools/eval_tc.py --frames data/frames \\
        --preds work_dirs/preds --protocol etc --num-classes 19 \\
        --flows data/flow_val --json tc.json

``--json`` writes ``{"TC": value, "per_clip": {clip: value}, "protocol",
"warp_mode", "flow"}`` with values as fractions in [0, 1] (the metric logs %)
and NaN as null. For ``vspw`` the scores are ``VC_<n>`` keys and each
``per_clip`` value is a dict of them. The value of a clip is the protocol
applied to that clip alone.
"""
import argparse
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import torch
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample
from PIL import Image
from prettytable import PrettyTable

from mmvseg.evaluation.functional import WARP_MODES
from mmvseg.evaluation.metrics import (BaseTemporalConsistencyMetric,
                                       TemporalConsistencyMetric)
from mmvseg.evaluation.metrics.temporal_consistency_metric import PROTOCOLS
from mmvseg.models.flow import DISFlow
from mmvseg.utils import list_images, read_label


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Temporal consistency of saved video predictions')
    parser.add_argument('--frames', required=True,
                        help='folder with one sub-folder of frames per clip')
    parser.add_argument('--preds', required=True,
                        help='folder with one sub-folder of prediction PNGs '
                        '(class ids) per clip')
    parser.add_argument('--protocol', required=True,
                        choices=PROTOCOLS)
    parser.add_argument('--num-classes', type=int, required=True)
    parser.add_argument('--gts', help='folder with one sub-folder of label '
                        'PNGs per clip (required by vspw)')
    parser.add_argument('--flows', help='folder with <clip>/<frame stem>.flo '
                        'flows f_{i->i+1}, used instead of DIS')
    parser.add_argument('--flow-preset', default='medium',
                        choices=tuple(DISFlow.PRESETS),
                        help='OpenCV DIS preset when --flows is not given')
    parser.add_argument('--warp-mode', choices=WARP_MODES,
                        help='default: the protocol default')
    parser.add_argument('--vc-n', type=int, nargs='+', default=[8, 16],
                        help='window lengths of vspw')
    parser.add_argument('--flow-batch-size', type=int, default=4)
    parser.add_argument('--json', help='write the scores to this file')
    return parser.parse_args(argv)


def list_clips(args: argparse.Namespace) -> List[Tuple[str, List[List[str]]]]:
    """``(clip, [frame paths, pred paths(, gt paths)])`` for every clip.

    Raises:
        FileNotFoundError / ValueError: a missing folder, an empty clip, or a
            clip whose folders hold different numbers of files.
    """
    if not osp.isdir(args.frames):
        raise FileNotFoundError(f'{args.frames}: frames folder not found')
    clips = sorted(name for name in os.listdir(args.frames)
                   if osp.isdir(osp.join(args.frames, name)))
    if not clips:
        raise ValueError(f'{args.frames}: no clip sub-folder')
    roots = [args.frames, args.preds] + ([args.gts] if args.gts else [])
    listed = []
    for clip in clips:
        files = [list_images(osp.join(root, clip)) for root in roots]
        counts = [len(f) for f in files]
        if len(set(counts)) > 1:
            raise ValueError(
                f'clip {clip}: different numbers of files in ' + ', '.join(
                    f'{osp.join(root, clip)} ({n})'
                    for root, n in zip(roots, counts)))
        listed.append((clip, files))
    return listed


def load_clip(files: List[List[str]]) -> List[SegDataSample]:
    """Frames with ``img_path``, ``pred_sem_seg`` and, with ground truth,
    ``gt_sem_seg``.

    Raises:
        ValueError: a prediction whose size differs from its frame, or a label
            map whose size differs from its prediction.
    """
    frames = []
    for paths in zip(*files):
        frame = SegDataSample(metainfo=dict(img_path=paths[0]))
        pred = read_label(paths[1])
        with Image.open(paths[0]) as img:
            frame_hw = (img.height, img.width)
        if frame_hw != pred.shape:
            raise ValueError(
                f'{paths[1]}: prediction size {pred.shape} (H, W) differs '
                f'from its frame {paths[0]} {frame_hw}')
        frame.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
        if len(paths) > 2:
            label = read_label(paths[2])
            if label.shape != pred.shape:
                raise ValueError(
                    f'{paths[2]}: label size {label.shape} (H, W) differs '
                    f'from the prediction {paths[1]} {pred.shape}')
            frame.gt_sem_seg = PixelData(data=torch.from_numpy(label)[None])
        frames.append(frame)
    return frames


def build_metric(args: argparse.Namespace) -> BaseTemporalConsistencyMetric:
    """The metric of ``--protocol`` with the flow of ``--flows`` or DIS."""
    if args.protocol == 'vspw':
        if not args.gts:
            raise ValueError('the vspw protocol needs --gts')
        metric = TemporalConsistencyMetric(protocol='vspw', vc_n=args.vc_n)
    else:
        flow = (
            dict(type='FileFlow', flow_root=args.flows, suffix='.flo')
            if args.flows else dict(type='DISFlow', preset=args.flow_preset))
        metric = TemporalConsistencyMetric(
            protocol=args.protocol,
            flow=flow,
            warp_mode=args.warp_mode,
            flow_batch_size=args.flow_batch_size)
    metric.dataset_meta = dict(
        classes=tuple(str(c) for c in range(args.num_classes)))
    return metric


def _json_value(value: float) -> Optional[float]:
    return None if math.isnan(value) else value


def _clip_entry(scores: Dict[str, float], protocol: str):
    if protocol == 'vspw':
        return {key: _json_value(v) for key, v in scores.items()}
    return _json_value(scores['TC'])


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns the report that ``--json`` writes."""
    args = parse_args(argv)
    metric = build_metric(args)
    clips = list_clips(args)
    per_clip = {}
    progress = ProgressBar(len(clips))
    for clip, files in clips:
        metric.process(None, [dict(video_data_samples=load_clip(files))])
        per_clip[clip] = metric.summarize(metric.results[-1:])
        progress.update()
    scores = metric.summarize(metric.results)
    info = metric.info

    table = PrettyTable(['clip'] + list(metric.score_keys))
    for clip, clip_scores in list(per_clip.items()) + [('all', scores)]:
        table.add_row([clip] +
                      [f'{v * 100:.2f}' for v in clip_scores.values()])
    print(f'\nprotocol={info["TC_protocol"]} warp_mode={info["TC_warp_mode"]} '
          f'flow={info["TC_flow"]} (values in %)')
    print(table.get_string())

    report = {key: _json_value(value) for key, value in scores.items()}
    report.update(
        per_clip={
            clip: _clip_entry(clip_scores, args.protocol)
            for clip, clip_scores in per_clip.items()
        },
        protocol=info['TC_protocol'],
        warp_mode=info['TC_warp_mode'],
        flow=info['TC_flow'])
    if args.json:
        mmengine.dump(report, args.json, file_format='json', indent=2)
    return report


if __name__ == '__main__':
    main()
