# Copyright (c) mmvseg contributors. All rights reserved.
"""``VideoSegInferencer``: segment a user's video with any video segmentor.

The video counterpart of mmseg's ``MMSegInferencer``
(``mmseg/apis/mmseg_inferencer.py``), on mmengine's ``BaseInferencer``
(``mmengine/infer/infer.py``): a config (path or ``mmvseg::`` name) and a
checkpoint in, a video file / folder of frames / arrays in, per-frame label
maps out, plus optional writers (overlay mp4 with the dataset palette and a
legend, indexed label PNGs, a JSON summary). Unlike an image inferencer,
frames are not batched: they stream through the segmentor causally, one at
a time (:class:`mmvseg.apis.inference.VideoStream`), and outputs are
written as they come, in a background thread.
"""
import itertools
import math
import queue
import resource
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample
from torch import nn

from .config import ConfigLike, load_config
from .inference import VideoStream, build_frame_pipeline, dataset_meta
from .sources import SourceType, VideoFrame, VideoSource, open_video_source
from .writers import (PNG_MODES, LabelPNGWriter, OverlayVideoWriter,
                      compose_frame, draw_legend, write_summary)

#: Frame rate of the overlay video when the source has none (folders,
#: arrays), as ``VideoSegVisualizationHook``.
DEFAULT_FPS = 15.0


def _device_of(model: nn.Module) -> torch.device:
    """The device of the model's parameters or buffers (CPU without)."""
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        return tensor.device
    return torch.device('cpu')


class _BackgroundWriter:
    """Run ``write(item)`` for queued items in a thread (bounded queue).

    An error in the thread is raised in the caller at the next ``put`` or at
    ``close``.
    """

    def __init__(self, write, maxsize: int = 4) -> None:
        self._write = write
        self._items: 'queue.Queue' = queue.Queue(maxsize=maxsize)
        self._error: Optional[BaseException] = None
        self.busy = 0.  # seconds spent writing
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._items.get()
            if item is None:
                return
            if self._error is not None:
                continue  # drain after a failure
            start = time.perf_counter()
            try:
                self._write(item)
            except BaseException as e:  # noqa: B902 (re-raised by put/close)
                self._error = e
            self.busy += time.perf_counter() - start

    def put(self, item: Any) -> None:
        if self._error is not None:
            raise self._error
        self._items.put(item)

    def close(self, check: bool = True) -> None:
        self._items.put(None)
        self._thread.join()
        if check and self._error is not None:
            raise self._error


class VideoSegInferencer(BaseInferencer):
    """Segment videos with a video segmentor, frame by frame.

    Example (after ``bash tools/misc/demo.sh``)::

        from mmvseg.apis import VideoSegInferencer
        inferencer = VideoSegInferencer(
            'mmvseg::ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py',
            'work_dirs/demo/iter_300.pth', device='cpu')
        result = inferencer('data/demo/val', out_video='val.mp4',
                            png_dir='preds', summary_json='val.json')
        print(result['summary']['fps_out'])
        for frame in inferencer.stream('drive.mp4'):  # one at a time
            labels = frame['sem_seg']  # (H, W) int64 class ids

    Args:
        model: a config path, an ``mmvseg::<folder>/<config>.py`` name of
            the installed package, or a ``Config``/dict.
        weights: local checkpoint of the video segmentor, or of its image
            model alone (loaded under ``image_model.``); None keeps the
            initial weights (with a warning).
        classes: class names for the legend and outputs (default: the
            checkpoint's ``dataset_meta``, else the config's dataset).
        palette: RGB colours, id i -> ``palette[i]`` (same defaults).
        device: ``'cpu'``, ``'cuda:0'``, ...; None picks mmengine's device.
        scope: the registry scope (``'mmseg'``, which mmvseg registers in).
        show_progress: a progress bar (frames, fps, ETA) on stdout.
        prefetch: frames decoded and pre-processed ahead of the model in a
            background thread (0: none, all in the calling thread).

    Raises:
        FileNotFoundError: the config or the checkpoint does not exist.
        TypeError: the config's model is not a video segmentor.
    """

    preprocess_kwargs: set = {'every', 'max_frames', 'strict', 'first_mask'}
    forward_kwargs: set = {'return_logits'}
    visualize_kwargs: set = {'out_video', 'opacity', 'with_legend', 'fps'}
    postprocess_kwargs: set = {
        'png_dir', 'png_mode', 'summary_json', 'return_preds'
    }

    def __init__(self,
                 model: ConfigLike,
                 weights: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmseg',
                 show_progress: bool = True,
                 prefetch: int = 2) -> None:
        init_default_scope(scope or 'mmseg')
        cfg = load_config(model)
        self.weights = weights
        super().__init__(
            model=cfg,
            weights=weights,
            device=device,
            scope=scope,
            show_progress=show_progress)
        if _device_of(self.model).type == 'cpu':
            self.model = revert_sync_batchnorm(self.model)
        meta = self.model.dataset_meta
        if classes is not None:
            meta['classes'] = list(classes)
        if palette is not None:
            meta['palette'] = [list(map(int, c)) for c in palette]
        if len(meta['palette']) < len(meta['classes']):
            raise ValueError(f'{len(meta["classes"])} classes but only '
                             f'{len(meta["palette"])} colours')
        if self.visualizer is not None:
            self.visualizer.set_dataset_meta(meta['classes'], meta['palette'])
        self.prefetch = prefetch
        self.summary: Dict[str, Any] = {}
        self._legends: Dict[tuple, np.ndarray] = {}
        # fail now, not at the first frame, for image-model configs
        VideoStream._check_model(self.model)

    # ---------------------------------------------------------------- #
    # BaseInferencer hooks
    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict], cfg: Any) -> None:
        """Load the weights and set ``model.dataset_meta``
        (:func:`mmvseg.apis.inference.dataset_meta`)."""
        super()._load_weights_to_model(model, checkpoint, cfg)
        model.dataset_meta = dataset_meta(cfg, checkpoint, model)

    def _init_collate(self, cfg: Any) -> Any:
        """mmengine's ``pseudo_collate`` (frames are not batched)."""
        return pseudo_collate

    def _init_visualizer(self, cfg: Any) -> Any:
        """The config's visualizer without its storage backends (the
        inferencer writes its own outputs), as :meth:`visualize` meta."""
        if 'visualizer' in cfg:
            cfg.visualizer = dict(cfg.visualizer, vis_backends=None)
        return super()._init_visualizer(cfg)

    def _init_pipeline(self, cfg: Any) -> Any:
        """The per-frame test pipeline
        (:func:`mmvseg.apis.inference.build_frame_pipeline`)."""
        return build_frame_pipeline(cfg)

    def _inputs_to_list(self, inputs: SourceType) -> VideoSource:
        """Open the source (a video has no list of inputs)."""
        return open_video_source(inputs)

    def preprocess(self,
                   inputs: VideoSource,
                   batch_size: int = 1,
                   every: int = 1,
                   max_frames: Optional[int] = None,
                   strict: bool = False,
                   first_mask: Optional[str] = None) -> VideoStream:
        """The stream of prepared frames of a source (not started).

        Args:
            inputs: the opened source.
            batch_size: must be 1 (frames are fed one at a time).
            every: segment one frame in ``every``.
            max_frames: stop after this many segmented frames.
            strict: raise at the first undecodable frame instead of
                reporting it and going on.
            first_mask: first-frame object-id PNG (label propagation).

        Raises:
            ValueError: ``batch_size`` other than 1, bad ``every`` or
                ``max_frames``, or a ``first_mask`` that does not suit the
                model.
        """
        if batch_size != 1:
            raise ValueError('the frames of a video are segmented one at a '
                             f'time (causally); batch_size must be 1, got '
                             f'{batch_size}')

        def report(frame: VideoFrame) -> None:
            print_log(f'skipped {frame.error}', logger='current',
                      level=30)  # logging.WARNING

        return VideoStream(
            self.model,
            inputs,
            pipeline=self.pipeline,
            every=every,
            max_frames=max_frames,
            strict=strict,
            first_mask=first_mask,
            prefetch=self.prefetch,
            on_skip=report)

    def forward(self, inputs: VideoStream, return_logits: bool = False,
                **kwargs) -> Iterator:
        """Stream the frames through the model.

        Yields:
            tuple: ``(VideoFrame, SegDataSample)`` per segmented frame.
        """
        inputs.keep_logits = return_logits
        yield from inputs

    def visualize(self,
                  inputs: List[VideoFrame],
                  preds: List[Union[SegDataSample, np.ndarray]],
                  opacity: float = 0.5,
                  with_legend: bool = True,
                  legend_ids: Optional[Sequence[int]] = None,
                  **kwargs) -> List[np.ndarray]:
        """Overlay frames: the palette blended into each frame
        (:func:`mmvseg.apis.writers.compose_frame`) and a legend below.

        Args:
            inputs: the frames (``image`` (H, W, 3) uint8 BGR).
            preds: their samples or (H, W) label maps.
            opacity: colour weight in [0, 1].
            with_legend: add the legend strip.
            legend_ids: ids of the legend (default: every class).

        Returns:
            list[np.ndarray]: (H + h, W, 3) uint8 BGR images.
        """
        meta = self.model.dataset_meta
        out = []
        for frame, pred in zip(inputs, preds):
            labels = pred.pred_sem_seg.data[0].cpu().numpy() if isinstance(
                pred, SegDataSample) else pred
            legend = None
            if with_legend:
                key = (frame.image.shape[1], tuple(legend_ids or ()))
                if key not in self._legends:
                    self._legends[key], _ = draw_legend(
                        meta['classes'], meta['palette'], key[0], legend_ids)
                legend = self._legends[key]
            out.append(
                compose_frame(frame.image, labels, meta['palette'], opacity,
                              legend))
        return out

    def postprocess(self,
                    preds: List[tuple],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasample: bool = False,
                    **kwargs) -> List[Any]:
        """Per-frame results.

        Args:
            preds: ``(VideoFrame, SegDataSample)`` pairs.
            visualization: unused (overlays go to the video writer).
            return_datasample: return the samples themselves.

        Returns:
            list: per frame, the ``SegDataSample`` or a dict: ``index``
            (position in the source), ``name``, ``sem_seg`` (H, W) int64
            class ids and, when logits were asked for, ``seg_logits``
            (K, H, W) float32.
        """
        results = []
        for frame, sample in preds:
            if return_datasample:
                results.append(sample)
                continue
            result = dict(
                index=frame.index,
                name=frame.name,
                sem_seg=sample.pred_sem_seg.data[0].cpu().numpy())
            if 'seg_logits' in sample:
                result['seg_logits'] = sample.seg_logits.data.cpu().numpy()
            results.append(result)
        return results

    # ---------------------------------------------------------------- #
    def __call__(self,
                 inputs: SourceType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 **kwargs) -> dict:
        """Segment a whole video, writing the requested outputs.

        Args:
            inputs: a video file, a folder of frames (sorted by name), a
                (T, H, W, 3) uint8 BGR array or an iterable of (H, W, 3)
                ones.
            return_datasamples: predictions as ``SegDataSample``.
            batch_size: must be 1.
            **kwargs: ``every``, ``max_frames``, ``strict``, ``first_mask``
                (:meth:`preprocess`); ``return_logits``; ``out_video``
                (overlay mp4 path), ``opacity`` (0.5), ``with_legend``
                (True), ``fps`` (of the mp4; default the source's / every,
                else 15); ``png_dir`` (label PNGs in
                ``<png_dir>/<clip>/<frame>.png``), ``png_mode``
                (``'palette'`` or ``'gray'``), ``summary_json`` (path);
                ``return_preds`` (keep every frame's result in memory,
                False by default: a long video is not held).

        Returns:
            dict: ``predictions`` (per frame, see :meth:`postprocess`; empty
            unless ``return_preds``) and ``summary`` (see
            :meth:`stream`).
        """
        return_preds = kwargs.pop('return_preds', False)
        predictions = []
        for result in self.stream(inputs, return_datasamples, batch_size,
                                  **kwargs):
            if return_preds:
                predictions.append(result)
        return dict(predictions=predictions, summary=self.summary)

    def stream(self,
               inputs: SourceType,
               return_datasamples: bool = False,
               batch_size: int = 1,
               **kwargs) -> Iterator[Any]:
        """Segment a video lazily: yield each frame's result as it is out.

        Arguments as :meth:`__call__` (``return_preds`` is ignored). The
        writers run while iterating; once the generator is exhausted (or
        closed), the outputs are complete and :attr:`summary` holds:
        ``source``, ``clip``, ``model``, ``config``, ``checkpoint``,
        ``device``, ``frames`` (segmented), ``skipped`` (``index``,
        ``name``, ``error`` of each undecodable frame), ``every``,
        ``frame_size`` (H, W), ``fps_in`` (the source's, None when
        unknown), ``fps_out`` (segmented frames per second of wall time),
        ``ms_per_frame`` (``total`` wall time; ``image_model``: backbone,
        neck and decode head; ``video_overhead`` = total - image_model,
        split into ``video_model``, the rest of the segmentor (temporal
        parts, post-processing), ``waiting_for_frames`` and ``writing``,
        the time the model thread spent blocked on decoding/pre-processing
        and on the writer; ``background``: busy time of the reader and
        writer threads, overlapped with the model), ``peak_rss_mib`` (the
        process's peak resident memory so far) and ``outputs``.

        Yields:
            dict or SegDataSample: per frame, see :meth:`postprocess`.

        Raises:
            FileNotFoundError / ValueError / TypeError: a bad source (see
                :func:`mmvseg.apis.open_video_source`) or argument;
                ``FrameDecodeError`` under ``strict``; ``OSError`` when an
                output cannot be written.
        """
        kwargs.pop('return_preds', None)
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        source = self._inputs_to_list(inputs)
        video = self.preprocess(source, batch_size, **pre)
        png_mode = post.get('png_mode', 'palette')
        if png_mode not in PNG_MODES:
            raise ValueError(
                f'png_mode must be one of {PNG_MODES}, got {png_mode!r}')
        every = pre.get('every', 1)
        fps = vis.get('fps') or (source.fps / every
                                 if source.fps else DEFAULT_FPS)
        meta = self.model.dataset_meta
        legend_ids = video.first_ids
        video_writer = OverlayVideoWriter(
            vis['out_video'], fps, meta['classes'], meta['palette'],
            vis.get('opacity', 0.5), legend_ids,
            vis.get('with_legend', True)) if vis.get('out_video') else None
        png_writer = LabelPNGWriter(
            post['png_dir'], source.name, meta['palette'],
            png_mode) if post.get('png_dir') else None

        def write(item: tuple) -> None:
            frame, labels = item
            if video_writer is not None:
                video_writer.write(frame.image, labels)
            if png_writer is not None:
                png_writer.write(frame.name, labels)

        writer = _BackgroundWriter(write) if (video_writer
                                              or png_writer) else None
        total = source.num_frames
        if total is not None:
            total = math.ceil(total / every)
            if pre.get('max_frames'):
                total = min(total, pre['max_frames'])
        progress = ProgressBar(
            total or 0, file=sys.stdout) if self.show_progress else None
        write_wait = 0.
        ok = False
        try:
            for frame, sample in self.forward(video, **fwd):
                if writer is not None:
                    start = time.perf_counter()
                    labels = sample.pred_sem_seg.data[0].cpu().numpy()
                    writer.put((frame, labels.astype(np.uint8)
                                if labels.max(initial=0) < 256 else labels))
                    write_wait += time.perf_counter() - start
                if progress is not None:
                    progress.update()
                yield self.postprocess([(frame, sample)],
                                       return_datasample=return_datasamples)[0]
            ok = True
        finally:
            if writer is not None:
                start = time.perf_counter()
                writer.close(check=ok)
                write_wait += time.perf_counter() - start
            if video_writer is not None:
                video_writer.close()
            if progress is not None and self.show_progress:
                sys.stdout.write('\n')
            self.summary = self._summarize(
                source, video, every, write_wait,
                writer.busy if writer is not None else 0.,
                dict(
                    video=vis.get('out_video'),
                    pngs=png_writer.folder if png_writer else None,
                    summary=post.get('summary_json')))
            if ok and post.get('summary_json'):
                write_summary(post['summary_json'], self.summary)

    @staticmethod
    def peak_rss_mib() -> float:
        """Peak resident memory of this process so far, in MiB.

        Linux: ``VmHWM`` of ``/proc/self/status`` (``ru_maxrss`` would keep
        the peak of the process before ``exec``, i.e. of a parent that
        forked it); elsewhere ``ru_maxrss``.
        """
        try:
            with open('/proc/self/status') as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        return int(line.split()[1]) / 2**10  # kB
        except OSError:
            pass
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == 'darwin' else peak / 2**10

    def _summarize(self, source: VideoSource, video: VideoStream, every: int,
                   write_wait: float, write_busy: float,
                   outputs: dict) -> Dict[str, Any]:
        """The run summary (see :meth:`stream`)."""
        stats = video.stats
        frames = stats.frames
        times = stats.times

        def ms(seconds: float) -> Optional[float]:
            return round(1000 * seconds / frames, 3) if frames else None

        wall = stats.wall
        total, image = ms(wall), ms(times['image_model'])
        peak_mib = self.peak_rss_mib()
        return dict(
            source=source.location,
            clip=source.name,
            model=type(self.model).__name__,
            config=getattr(self.cfg, 'filename', None),
            checkpoint=self.weights,
            device=str(_device_of(self.model)),
            frames=frames,
            skipped=stats.skipped,
            every=every,
            frame_size=list(stats.frame_shape or ()),
            fps_in=source.fps,
            fps_out=round(frames / wall, 3) if wall > 0 else None,
            ms_per_frame=dict(
                total=total,
                image_model=image,
                video_overhead=round(total - image, 3)
                if frames else None,
                video_model=ms(times['model'] - times['image_model']),
                waiting_for_frames=ms(times['wait']),
                writing=ms(write_wait),
                background=dict(
                    decode=ms(times['decode']),
                    preprocess=ms(times['prepare']),
                    write=ms(write_busy))),
            peak_rss_mib=round(peak_mib, 1),
            outputs={k: v for k, v in outputs.items() if v})


__all__ = ['VideoSegInferencer', 'DEFAULT_FPS']
