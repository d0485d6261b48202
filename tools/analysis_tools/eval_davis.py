# Copyright (c) mmvseg contributors. All rights reserved.
"""Score DAVIS result PNGs with the J&F of the official evaluator.

Replaces ``evaluation_method.py --task semi-supervised`` of
``davisvideochallenge/davis2017-evaluation`` with the same numbers; the
scoring is done by :class:`mmvseg.evaluation.metrics.DAVISMetric`.

Layout (the official one)::

    <davis-root>/ImageSets/2017/<set>.txt            one video name a line
    <davis-root>/Annotations/<resolution>/<video>/<frame>.png
    <results>/<video>/<frame>.png                    indexed PNG, object ids

Frames are the sorted annotation PNGs of a video; the results of frames
1..T-2 (the scored ones) are read under the same names. Ground truth may be
DAVIS-2017 indexed PNGs (255 = void) or DAVIS-2016 binary 0/255 grayscale
PNGs (object 1), detected when the first annotation of every video holds only
0 and 255, or forced with ``--binary-gt``. Unlike the official script, no CSV
is written or reused.

Example::

    python tools/analysis_tools/eval_davis.py --davis-root data/DAVIS \\
        --results work_dirs/davis_results --set val --json jf.json

``--json`` writes the seven numbers (``J&F-Mean``, ``J-Mean``, ``J-Recall``,
``J-Decay``, ``F-Mean``, ``F-Recall``, ``F-Decay``) as fractions, and
``per_object``: ``{"<video>_<k>": {"J", "F", "J-Recall", "J-Decay",
"F-Recall", "F-Decay"}}`` (J and F = per-object means), ``binary_gt``, and
with ``--per-frame`` ``per_frame``: ``{"<video>_<k>": {"frames", "J", "F"}}``.
"""
import argparse
import math
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import mmengine
import numpy as np
import torch
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

from mmvseg.evaluation.functional import VOID_ID, format_davis_tables
from mmvseg.evaluation.metrics import DAVISMetric
from mmvseg.utils import read_indexed_png


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='DAVIS J&F (semi-supervised) of saved result PNGs')
    parser.add_argument('--davis-root', required=True,
                        help='DAVIS folder with ImageSets and Annotations')
    parser.add_argument('--results', required=True,
                        help='folder with <video>/<frame>.png results')
    parser.add_argument('--set', default='val',
                        help='ImageSets/2017/<set>.txt lists the videos')
    parser.add_argument('--sequences', nargs='+',
                        help='score only these videos (instead of the set)')
    parser.add_argument('--resolution', default='480p',
                        help='sub-folder of Annotations')
    parser.add_argument('--binary-gt', action='store_true',
                        help='ground truth is DAVIS-2016 0/255 (non-zero = '
                        'object 1); detected automatically otherwise')
    parser.add_argument('--per-frame', action='store_true',
                        help='add the per-frame J and F to --json')
    parser.add_argument('--json', help='write the scores to this file')
    return parser.parse_args(argv)


def read_sequences(davis_root: str, subset: str) -> List[str]:
    """Video names of ``ImageSets/2017/<subset>.txt``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: it lists no video.
    """
    path = osp.join(davis_root, 'ImageSets', '2017', f'{subset}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: set file not found')
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f'{path}: lists no video')
    return names


def list_annotations(davis_root: str, resolution: str,
                     video: str) -> List[str]:
    """Sorted annotation PNGs of one video.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: it holds no PNG.
    """
    folder = osp.join(davis_root, 'Annotations', resolution, video)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: annotation folder not found')
    files = sorted(name for name in os.listdir(folder)
                   if name.endswith('.png'))
    if not files:
        raise ValueError(f'{folder}: no annotation PNG')
    return [osp.join(folder, name) for name in files]


def is_binary_gt(first_annotations: Sequence[str]) -> bool:
    """True when the given annotations hold only the values 0 and 255, and
    255 somewhere (DAVIS-2016 masks).

    Raises:
        FileNotFoundError / ValueError: an unreadable PNG.
    """
    values = [
        set(np.unique(read_indexed_png(path)).tolist())
        for path in first_annotations
    ]
    return all(v <= {0, VOID_ID} for v in values) and any(VOID_ID in v
                                                          for v in values)


def load_video(davis_root: str, resolution: str, results: str, video: str,
               annotations: List[str]) -> Dict[str, Any]:
    """One whole video as the metric takes it.

    Every frame gets ``gt_sem_seg`` and metainfo (``video_id``, ``frame_id``
    = the file stem when numeric, else the position, ``frame_index``,
    ``video_length``, ``img_path`` = the JPEG, ``seg_map_path``); the scored
    frames 1..T-2 also get ``pred_sem_seg`` from ``<results>/<video>/``.

    Raises:
        FileNotFoundError: a result PNG is missing.
        ValueError: an unreadable PNG, or a result whose size differs from
            its annotation.
    """
    frames = []
    for t, ann_path in enumerate(annotations):
        name = osp.basename(ann_path)
        stem = osp.splitext(name)[0]
        frame = SegDataSample(
            metainfo=dict(
                img_path=osp.join(davis_root, 'JPEGImages', resolution, video,
                                  f'{stem}.jpg'),
                seg_map_path=ann_path,
                frame_id=int(stem) if stem.isdigit() else t,
                frame_index=t,
                video_length=len(annotations),
                video_id=video))
        gt = read_indexed_png(ann_path)
        frame.gt_sem_seg = PixelData(
            data=torch.from_numpy(gt.astype(np.uint8))[None])
        if 0 < t < len(annotations) - 1:
            pred_path = osp.join(results, video, name)
            pred = read_indexed_png(pred_path)
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{pred_path}: result size {pred.shape} (H, W) differs '
                    f'from its annotation {ann_path} {gt.shape}')
            frame.pred_sem_seg = PixelData(
                data=torch.from_numpy(pred.astype(np.uint8))[None])
        frames.append(frame)
    return dict(video_data_samples=frames)


def _json_value(value: float) -> Optional[float]:
    return None if math.isnan(value) else value


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the tool; returns the report that ``--json`` writes."""
    args = parse_args(argv)
    if not osp.isdir(args.results):
        raise FileNotFoundError(f'{args.results}: results folder not found')
    videos = args.sequences or read_sequences(args.davis_root, args.set)
    annotations = {
        video: list_annotations(args.davis_root, args.resolution, video)
        for video in videos
    }
    binary_gt = args.binary_gt or is_binary_gt(
        [files[0] for files in annotations.values()])
    if binary_gt and not args.binary_gt:
        print('binary 0/255 ground truth detected: non-zero = object 1')
    metric = DAVISMetric(binary_gt=binary_gt)
    progress = ProgressBar(len(videos))
    for video in videos:
        metric.process(None, [
            load_video(args.davis_root, args.resolution, args.results,
                       video, annotations[video])
        ])
        progress.update()
    summary = metric.summarize(metric.results)
    print('\n' + format_davis_tables(
        summary, None if args.sequences else args.set))

    report: Dict[str, Any] = {
        key: _json_value(value)
        for key, value in summary.items() if key != 'per_object'
    }
    report['per_object'] = summary['per_object']
    report['binary_gt'] = binary_gt
    if args.per_frame:
        report['per_frame'] = {
            f'{entry["video_id"]}_{k}': dict(
                frames=entry['frame_ids'], J=j.tolist(), F=f.tolist())
            for entry in metric.results
            for k, j, f in zip(entry['object_ids'], entry['J'], entry['F'])
        }
    if args.json:
        mmengine.dump(report, args.json, file_format='json', indent=2)
    return report


if __name__ == '__main__':
    main()
