# Copyright (c) mmvseg contributors. All rights reserved.
"""Export a model's per-frame logits: the saved teacher targets of KD-SSP.

The counterpart of FraunhoferIVI/SSP ``eval/vis/image.py --save-logits``
(methods.md §1.5, "Saving the teacher logits"): every video of the dataset
of the config's ``<split>_dataloader`` (whole videos,
``BaseVideoSegDataset.load_videos``) streams through the model with the
config's **test** pipeline (``mmvseg.apis.VideoStream``, as
``tools/test.py`` and the inferencer prepare frames), and the logits of the
kept frames are written where ``LoadTeacherLogits`` reads them::

    OUT/<video_id>/<frame stem>.npz   (K, H, W) array "arr_0"

(``numpy.savez_compressed``, as the repository). H, W is the frame's
original size (the model's logits upsampled as in ``tools/test.py``), or
``--size H W``: then the logits are resized (bilinear, align_corners=False,
antialiased when shrinking: ``resize_logits`` of
``mmvseg/datasets/transforms/teacher_logits.py``, the same resize that
``LoadTeacherLogits(resize=True)`` applies when loading) before they are
stored, so that a student reads them at its own size. ``--dtype float16``
halves the file again (float32 by default, as the repository).

Frames kept: index i in the video with ``i % skip in {0, 1}``
(``--skip-frames``, default 1; with 2, the repository's setting, that is
every frame).

Models: any video segmentor config of mmvseg (``VideoEncoderDecoder`` image
models, SSP, ...), or a config whose ``model`` is a plain mmseg segmentor
(``EncoderDecoder``, ...): it runs frame by frame inside a
``VideoEncoderDecoder``, its mmseg test pipeline wrapped for clips of one
frame (annotation loading and ``PackSegInputs`` dropped). The dataset must
be a video dataset: it names the clips.

Resume: finished files are skipped. A per-frame model (``VideoEncoderDecoder``)
runs only the missing frames; a recurrent video model (SSP, ...) runs each
unfinished video from its first frame (its state needs every frame), so a
resumed file equals the one an uninterrupted run writes. Every file is
written to ``<file>.tmp`` and renamed (nothing half-written under a final
name); an unwritable output folder or a full disk stops the run with an
error naming the folder or file (``mmvseg.utils.tool_io``).

Examples::

    # the teacher's logits of every training frame, at the student's
    # 736x1280 in float16
    python tools/misc/export_logits.py TEACHER_CONFIG TEACHER_CKPT \\
        --split train --skip-frames 2 --size 736 1280 --dtype float16 \\
        --out work_dirs/teacher_logits/train
"""
import argparse
import copy
import io
import os.path as osp
import time
from functools import partial
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmseg.models.segmentors import BaseSegmentor
from torch import nn

import mmvseg  # noqa: F401  (registers the models and datasets)
from mmvseg.apis import FolderSource, VideoStream, init_model, load_config
from mmvseg.datasets.transforms.teacher_logits import (resize_logits,
                                                       teacher_logits_path)
from mmvseg.models.segmentors import (BaseVideoSegmentor, LabelPropagator,
                                      VideoEncoderDecoder)
from mmvseg.registry import MODELS
from mmvseg.utils.tool_io import check_output_dir, config_videos, write_atomic

SPLITS = ('train', 'val', 'test')
DTYPES = ('float32', 'float16')
#: Transforms of an mmseg test pipeline left out for clips of one frame.
IMAGE_ONLY = ('LoadAnnotations', 'mmseg.LoadAnnotations', 'PackSegInputs',
              'mmseg.PackSegInputs')


class Frame(NamedTuple):
    """A kept frame: its position in the video, image and output file."""
    index: int
    img_path: str
    out: str


class Video(NamedTuple):
    """A video: all its frame paths and the kept frames."""
    video_id: str
    frames: List[str]
    kept: List[Frame]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the per-frame logits of a model (teacher '
        'targets) as <out>/<video>/<frame>.npz')
    parser.add_argument('config', help='config file or mmvseg:: name')
    parser.add_argument('checkpoint', help='checkpoint of the model (or of '
                        'its image model)')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='dataloader whose videos are exported '
                        '(default train)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--skip-frames', type=int, default=1,
                        help='keep frames with index %% skip in {0, 1} '
                        '(default 1: all)')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help='resize the logits to H W before storing')
    parser.add_argument('--dtype', choices=DTYPES, default='float32',
                        help='stored dtype (default float32)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    parser.add_argument('--device', default=None,
                        help="default: mmengine's get_device()")
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """Raise ValueError for a bad ``--skip-frames`` or ``--size``."""
    if args.skip_frames < 1:
        raise ValueError(
            f'--skip-frames must be >= 1, got {args.skip_frames}')
    if args.size is not None and min(args.size) < 1:
        raise ValueError(f'--size must be two positive ints, got {args.size}')


def is_kept(index: int, skip: int) -> bool:
    """The repository's frame selection: ``index % skip in {0, 1}``."""
    return index % skip in (0, 1)


def plan_videos(videos: List[Tuple[str, List[str]]], out_dir: str,
                skip: int) -> List[Video]:
    """The kept frames of every video with their output files.

    Raises:
        ValueError: two frames would write the same file (named).
    """
    planned, owners = [], {}
    for video_id, frames in videos:
        kept = []
        for index, img_path in enumerate(frames):
            if not is_kept(index, skip):
                continue
            out = teacher_logits_path(out_dir, video_id, img_path)
            if out in owners:
                raise ValueError(
                    f'{out}: written for two frames ({owners[out]} and '
                    f'{img_path}); frame names must be unique per video')
            owners[out] = img_path
            kept.append(Frame(index, img_path, out))
        planned.append(Video(video_id, list(frames), kept))
    return planned


def video_model_config(cfg: Config) -> Config:
    """``cfg`` itself for a video segmentor; for a plain mmseg segmentor, a
    copy whose model is ``VideoEncoderDecoder(image_model=cfg.model)`` (its
    data preprocessor as ``VideoSegDataPreProcessor``) and whose mmseg test
    pipeline (without a ``PackVideoSegInputs``) becomes ``VideoFrameSample``
    + ``TransformBroadcaster(<the pipeline without IMAGE_ONLY>)`` +
    ``PackVideoSegInputs``.

    Raises:
        ValueError: the model type is not a segmentor.
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_type = MODELS.get(cfg.model['type'])
    if model_type is not None and issubclass(
            model_type, (BaseVideoSegmentor, LabelPropagator)):
        return cfg
    if model_type is None or not issubclass(model_type, BaseSegmentor):
        raise ValueError(f'model type {cfg.model["type"]!r} is neither an '
                         'mmvseg video segmentor nor an mmseg segmentor')
    cfg = copy.deepcopy(cfg)
    image_model = dict(cfg.model)
    preprocessor = dict(image_model.pop('data_preprocessor', None) or {})
    preprocessor['type'] = 'VideoSegDataPreProcessor'
    cfg.model = dict(
        type='VideoEncoderDecoder',
        image_model=image_model,
        data_preprocessor=preprocessor)
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    owner, key = (dataset, 'pipeline') if dataset.get('pipeline') else \
        (cfg, 'test_pipeline')
    pipeline = owner.get(key) or []
    if not any(t.get('type') in ('PackVideoSegInputs',
                                 'mmseg.PackVideoSegInputs')
               for t in pipeline):
        owner[key] = [
            dict(type='VideoFrameSample'),
            dict(
                type='TransformBroadcaster',
                transforms=[
                    t for t in pipeline if t.get('type') not in IMAGE_ONLY
                ]),
            dict(type='PackVideoSegInputs')
        ]
    return cfg


class FrameListSource(FolderSource):
    """Given frame files of one video, read like a folder's
    (:class:`mmvseg.apis.FolderSource`: decoding errors named)."""

    def __init__(self, name: str, files: List[str]) -> None:
        self.files = list(files)
        self.name = name
        self.location = osp.dirname(files[0]) if files else name
        self.fps = None
        self.num_frames = len(self.files)


def frames_to_run(video: Video, todo: List[Frame],
                  per_frame: bool) -> List[str]:
    """The frames fed to the model: the missing kept ones for a per-frame
    model, else the video from its start to the last missing frame."""
    if per_frame:
        return [frame.img_path for frame in todo]
    return video.frames[:max(frame.index for frame in todo) + 1]


def to_storage(logits: torch.Tensor, size: Optional[Sequence[int]],
               dtype: str, name: str) -> np.ndarray:
    """(K, H, W) model logits -> the stored array: resized to ``size``
    (h, w) when given (:func:`resize_logits`), cast to ``dtype``.

    Raises:
        ValueError: values that are not finite in ``dtype`` (NaN from the
            model, or beyond float16's 65504); ``name`` names the frame.
    """
    array = logits.detach().float().cpu().numpy()
    if size is not None:
        array = resize_logits(array, size)
    stored = array.astype(dtype)
    if not np.isfinite(stored).all():
        raise ValueError(
            f'{name}: logits are not finite in {dtype} (|max| '
            f'{np.nanmax(np.abs(array)):.4g}; float16 holds up to 65504)')
    return stored


def save_npz(path: str, array: np.ndarray) -> None:
    """``np.savez_compressed`` of ``array`` (key ``arr_0``) to ``path``
    exactly (numpy would append ``.npz`` to a bare name)."""
    with open(path, 'wb') as f:
        np.savez_compressed(f, array)


def stored_bytes(logits: torch.Tensor,
                 size: Optional[Sequence[int]] = None,
                 dtype: str = 'float32') -> int:
    """Bytes of the ``.npz`` this tool writes for ``logits`` (K, H, W)
    with ``--size`` / ``--dtype`` (to measure the storage of a setting)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, to_storage(logits, size, dtype, 'logits'))
    return buffer.getbuffer().nbytes


def export(model: nn.Module, videos: List[Video], size: Optional[List[int]],
           dtype: str) -> Dict[str, int]:
    """Write the missing files of ``videos``; returns ``fed`` (frames run
    through the model), ``written`` and ``bytes`` (written)."""
    per_frame = isinstance(model, VideoEncoderDecoder)
    jobs = []
    for video in videos:
        todo = [frame for frame in video.kept if not osp.isfile(frame.out)]
        if todo:
            jobs.append((video, todo, frames_to_run(video, todo, per_frame)))
    progress = ProgressBar(sum(len(feed) for _, _, feed in jobs))
    counts = dict(fed=0, written=0, bytes=0)
    for video, todo, feed in jobs:
        outputs = {frame.img_path: frame.out for frame in todo}
        stream = VideoStream(
            model,
            FrameListSource(video.video_id, feed),
            strict=True,
            keep_logits=True)
        for frame, sample in stream:
            out = outputs.get(frame.path)
            if out is not None:
                array = to_storage(sample.seg_logits.data, size, dtype,
                                   frame.path)
                write_atomic(out, partial(save_npz, array=array))
                counts['written'] += 1
                counts['bytes'] += osp.getsize(out)
            counts['fed'] += 1
            progress.update()
    return counts


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool; returns the summary it prints: ``videos``, ``kept``
    frames, ``written``, ``skipped`` (finished before), ``fed`` (frames run
    through the model), ``bytes_per_frame`` (mean of the written files) and
    ``seconds``."""
    args = parse_args(argv)
    check_args(args)
    tic = time.perf_counter()
    cfg = video_model_config(load_config(args.config, args.cfg_options))
    videos = plan_videos(
        config_videos(cfg, args.split, args.config), args.out,
        args.skip_frames)
    kept = sum(len(video.kept) for video in videos)
    done = sum(osp.isfile(frame.out) for video in videos
               for frame in video.kept)
    print(f'{len(videos)} videos, {kept} frames kept (skip '
          f'{args.skip_frames}): {done} done already, {kept - done} to '
          f'export to {args.out}')
    counts = dict(fed=0, written=0, bytes=0)
    if done < kept:
        check_output_dir(args.out)
        model = init_model(cfg, args.checkpoint,
                           args.device or get_device())
        counts = export(model, videos, args.size, args.dtype)
    summary = dict(
        videos=len(videos),
        kept=kept,
        written=counts['written'],
        skipped=done,
        fed=counts['fed'],
        bytes_per_frame=(counts['bytes'] / counts['written']
                         if counts['written'] else None),
        seconds=time.perf_counter() - tic)
    print(f'\nwrote {summary["written"]} files, skipped {done} existing, '
          f'{summary["fed"]} frames through the model, in '
          f'{summary["seconds"]:.1f} s')
    return summary


if __name__ == '__main__':
    main()
