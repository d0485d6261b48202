# Copyright (c) mmvseg contributors. All rights reserved.
"""Segment your own video with a trained video segmentor.

The video counterpart of mmseg's ``demo/video_demo.py``, on
:class:`mmvseg.apis.VideoSegInferencer`: frames stream through the model one
at a time (SSP's recurrence is carried from frame to frame), with a progress
bar (frames, fps, ETA)::

    python demo/video_demo.py CONFIG CHECKPOINT SOURCE --out OUT.mp4 \\
        [--save-pngs DIR] [--summary OUT.json] [--device cpu] \\
        [--opacity 0.5] [--every N] [--max-frames N] [--strict] \\
        [--first-mask PNG]

``CONFIG`` is a config file or an ``mmvseg::<folder>/<config>.py`` name of
the installed package; ``SOURCE`` a video file (mp4, avi, ...), a folder of
frames (sorted by name) or a single image folder of a dataset. ``--out``
writes the overlay mp4 (dataset palette, legend below the frame),
``--save-pngs`` the label PNGs as ``DIR/<clip>/<frame>.png`` (the layout of
``tools/analysis_tools/eval_tc.py --preds`` and ``eval_davis.py
--results``), ``--summary`` a JSON summary (frames, fps in and out, ms per
frame split into image model and video overhead; default: next to
``--out``). A frame that cannot be decoded is reported with its index and
skipped (``--strict``: the run stops with the error). Label propagation
configs need ``--first-mask``, the first frame's object-id PNG.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from mmvseg.apis import VideoSegInferencer, load_config
from mmvseg.apis.writers import PNG_MODES


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment a video (file or folder of frames) with a '
        'video segmentor')
    parser.add_argument('config', help='config file or mmvseg:: name')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'source', help='video file, or folder of frames sorted by name')
    parser.add_argument('--out', help='overlay video to write (.mp4)')
    parser.add_argument(
        '--save-pngs',
        metavar='DIR',
        help='write label PNGs as DIR/<clip>/<frame>.png')
    parser.add_argument(
        '--png-mode',
        choices=PNG_MODES,
        default='palette',
        help='indexed PNGs with the palette, or grayscale ids')
    parser.add_argument(
        '--summary',
        metavar='JSON',
        help='write the run summary (default: --out with .json)')
    parser.add_argument('--device', default='cpu', help='cpu, cuda:0, ...')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='colour weight of the overlay, in [0, 1]')
    parser.add_argument(
        '--every', type=int, default=1, help='segment one frame in N')
    parser.add_argument(
        '--max-frames', type=int, help='stop after N segmented frames')
    parser.add_argument(
        '--fps',
        type=float,
        help='frame rate of --out (default: the source\'s / --every, '
        'else 15)')
    parser.add_argument(
        '--first-mask',
        metavar='PNG',
        help='first-frame object ids (label propagation)')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='stop at the first frame that cannot be decoded')
    parser.add_argument(
        '--no-legend', action='store_true', help='no legend under --out')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the demo; returns the summary.

    Raises:
        SystemExit: with the error message, for a missing or bad config,
            checkpoint, source, first mask or output path, and (under
            ``--strict``) an undecodable frame.
    """
    args = parse_args(argv)
    if not (0.0 <= args.opacity <= 1.0):
        sys.exit(f'video_demo.py: error: --opacity must be in [0, 1], got '
                 f'{args.opacity}')
    summary = args.summary
    if summary is None and args.out:
        summary = osp.splitext(args.out)[0] + '.json'
    try:
        cfg = load_config(args.config, args.cfg_options)
        inferencer = VideoSegInferencer(
            cfg,
            args.checkpoint,
            device=args.device,
            show_progress=not args.no_progress)
        result = inferencer(
            args.source,
            every=args.every,
            max_frames=args.max_frames,
            strict=args.strict,
            first_mask=args.first_mask,
            out_video=args.out,
            opacity=args.opacity,
            with_legend=not args.no_legend,
            fps=args.fps,
            png_dir=args.save_pngs,
            png_mode=args.png_mode,
            summary_json=summary)
    except (FileNotFoundError, ValueError, TypeError, OSError) as e:
        sys.exit(f'video_demo.py: error: {e}')
    info = result['summary']
    ms = info['ms_per_frame']
    skipped = len(info['skipped'])
    print(f'{info["frames"]} frames segmented ({skipped} skipped), '
          f'{info["fps_out"]} fps: {ms["total"]} ms per frame, of which '
          f'image model {ms["image_model"]} ms, video overhead '
          f'{ms["video_overhead"]} ms')
    for key, path in info['outputs'].items():
        print(f'{key}: {path}')
    return info


if __name__ == '__main__':
    main()
