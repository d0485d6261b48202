# Copyright (c) mmvseg contributors. All rights reserved.
"""Segment a video frame by frame: the functional API and its engine.

The video counterpart of mmseg's ``mmseg/apis/inference.py``
(``init_model``, ``inference_model``). Frames stream through the model
causally, one at a time: each decoded frame goes through the config's own
test pipeline (``test_dataloader.dataset.pipeline``, with the file loader
replaced by mmseg's ``LoadImageFromNDArray``) and the model's
``VideoSegDataPreProcessor`` as a clip of one frame, and is fed into the
running generator of ``predict_clip``
(:meth:`mmvseg.models.segmentors.BaseVideoSegmentor.predict_stream`), so
SSP's recurrence and any other state carried from frame to frame see the
frames exactly as in ``tools/test.py``, while only a few frames are in
memory. Decoding and pre-processing run in a background thread, ahead of
the model. ``LabelPropagator`` streams the same way
(:meth:`mmvseg.models.segmentors.LabelPropagator.predict_stream`, from the
first frame's annotation).
"""
import itertools
import queue
import threading
import time
import warnings
from collections import deque
from contextlib import ExitStack, contextmanager
from typing import (Any, Callable, Deque, Dict, Iterator, List, Optional,
                    Sequence, Tuple)

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from mmvseg.datasets.davis import davis_object_classes, davis_palette
from mmvseg.models.segmentors import BaseVideoSegmentor, LabelPropagator
from mmvseg.registry import DATASETS, MODELS
from mmvseg.utils import read_indexed_png
from .config import ConfigLike, load_config
from .sources import (FrameDecodeError, SourceType, VideoFrame, VideoSource,
                      check_frame_selection, open_video_source)

#: Loaders of a test pipeline replaced by the array loader.
FILE_LOADERS = ('LoadFrameFromFile', 'LoadImageFromFile',
                'mmseg.LoadImageFromFile', 'mmvseg.LoadFrameFromFile')
ARRAY_LOADER = 'mmseg.LoadImageFromNDArray'
_END = object()


# --------------------------------------------------------------------- #
# model and config
def init_model(config: ConfigLike,
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a video segmentor from a config and load its checkpoint.

    mmseg's ``init_model`` for video configs (which take no ``pretrained``
    argument): the model gets ``cfg`` and ``dataset_meta``
    (:func:`dataset_meta`), is moved to ``device`` and set to eval mode;
    on the CPU, SyncBN layers become BatchNorm (``revert_sync_batchnorm``).

    Args:
        config: a config path, an ``mmvseg::`` name or a ``Config``.
        checkpoint: a local checkpoint of the video segmentor or of its
            image model alone (``backbone.*``/``decode_head.*`` keys load
            under ``image_model.``); None keeps the initial weights (with a
            warning).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:0'``, ...
        cfg_options: config overrides.

    Returns:
        nn.Module: the model in eval mode.

    Raises:
        FileNotFoundError: the config or the checkpoint does not exist.
    """
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    ckpt = None
    if checkpoint is not None:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        _load_checkpoint_to_model(model, ckpt)
    else:
        warnings.warn('no checkpoint: the model keeps its initial weights')
    model.cfg = cfg
    model.dataset_meta = dataset_meta(cfg, ckpt, model)
    model.to(device)
    if torch.device(device).type == 'cpu':
        model = revert_sync_batchnorm(model)
    return model.eval()


def model_num_classes(model: nn.Module) -> Optional[int]:
    """Number of classes the model predicts (its decode head's), or None."""
    head = getattr(model, 'decode_head', None)
    return getattr(head, 'num_classes', None)


def dataset_meta(cfg: Config,
                 checkpoint: Optional[dict] = None,
                 model: Optional[nn.Module] = None) -> Dict[str, list]:
    """Class names and RGB palette for drawing and writing predictions.

    Taken from the checkpoint's ``meta.dataset_meta`` (mmengine's Runner
    writes it), else from the config's test dataset (its ``metainfo``, else
    its class's ``METAINFO``), else none. When the model predicts more
    classes than named (ESPNet's 12th, void, on 11-class CamVid), the extra
    ids are named ``'class <i>'`` and coloured by the PASCAL VOC colour map
    (:func:`mmvseg.datasets.davis.davis_palette`). Label propagation
    predicts object ids: ``'background'``, ``'object <i>'``, with the DAVIS
    palette.

    Returns:
        dict: ``classes`` (list of str) and ``palette`` (list of [R, G, B]),
        of the same length.
    """
    meta: Dict[str, Any] = {}
    if checkpoint is not None:
        meta = dict(checkpoint.get('meta', {}).get('dataset_meta') or {})
    if isinstance(model, LabelPropagator):
        meta = dict(
            classes=list(davis_object_classes(255)),
            palette=davis_palette().tolist())
    if not meta.get('classes'):
        dataset = cfg.get('test_dataloader', {}).get('dataset', {})
        meta = dict(dataset.get('metainfo') or {})
        if not meta.get('classes') and isinstance(dataset.get('type'), str):
            cls = DATASETS.get(dataset['type'])
            meta = dict(getattr(cls, 'METAINFO', None) or {})
    classes = list(meta.get('classes') or [])
    palette = [list(map(int, c)) for c in (meta.get('palette') or [])]
    num_classes = model_num_classes(model) if model is not None else None
    total = max(len(classes), len(palette), num_classes or 0)
    voc = davis_palette()
    classes += [f'class {i}' for i in range(len(classes), total)]
    palette += [voc[i % 256].tolist() for i in range(len(palette), total)]
    return dict(classes=classes, palette=palette)


def build_frame_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for one decoded frame.

    ``test_dataloader.dataset.pipeline`` (or ``test_pipeline``) with every
    file loader (``LoadFrameFromFile``, ``LoadImageFromFile``; inside
    ``TransformBroadcaster`` too) replaced by mmseg's
    ``LoadImageFromNDArray``, which takes the pixels the source decoded.
    Everything else (``VideoFrameSample``, ``Resize``, annotation loading,
    ``PackVideoSegInputs``) stays, so a frame is prepared exactly as in
    ``tools/test.py``.

    Raises:
        ValueError: the config has no test pipeline, or it loads no image
            file, or its loader reads other than 3-channel colour images.
    """
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    pipeline = dataset.get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        raise ValueError('the config has no test pipeline '
                         '(test_dataloader.dataset.pipeline)')
    replaced = []

    def replace(transforms: list) -> list:
        out = []
        for transform in transforms:
            transform = dict(transform)
            if transform.get('type') in FILE_LOADERS:
                if transform.get('color_type', 'color') != 'color':
                    raise ValueError(
                        'video inference decodes 3-channel colour frames; '
                        f'the test pipeline loads {transform}')
                transform = dict(
                    type=ARRAY_LOADER,
                    to_float32=transform.get('to_float32', False))
                replaced.append(transform)
            elif isinstance(transform.get('transforms'), (list, tuple)):
                transform['transforms'] = replace(transform['transforms'])
            out.append(transform)
        return out

    pipeline = replace(list(pipeline))
    if not replaced:
        raise ValueError('the test pipeline has no LoadFrameFromFile / '
                         f'LoadImageFromFile to feed frames into: {pipeline}')
    return Compose(pipeline)


# --------------------------------------------------------------------- #
# the streaming engine
class FrameStream:
    """The lazy frames handed to ``predict_clip``: an iterator only.

    A segmentor whose ``predict_clip`` treats its frames as a (T, 3, H, W)
    tensor (``frames.shape``, ``frames[t:t + 1]``) cannot stream; reaching
    for either raises a ``TypeError`` that says how to fix it (iterate
    ``self.iter_frames(frames)``, as every mmvseg segmentor does).
    """

    def __init__(self, frames: Iterator[Tensor], model: nn.Module) -> None:
        self._frames = frames
        self._model = type(model).__name__

    def __iter__(self) -> Iterator[Tensor]:
        return self._frames

    def _not_a_tensor(self) -> TypeError:
        return TypeError(
            f'{self._model}.predict_clip indexes its frames as a (T, 3, H, '
            'W) tensor; to stream a video it must iterate '
            'self.iter_frames(frames) (BaseVideoSegmentor.iter_frames)')

    @property
    def shape(self) -> Any:
        raise self._not_a_tensor()

    def __getitem__(self, index: Any) -> Any:
        raise self._not_a_tensor()

    def __len__(self) -> int:
        raise self._not_a_tensor()


class StreamStats:
    """Counts and times (seconds) of one streamed video.

    ``wait``: the model waiting for the next prepared frame; ``model``: in
    the segmentor (post-processing included), of which ``image_model`` in
    the image model (backbone, neck and decode head forward); ``decode``
    and ``prepare``: decoding and pipeline + pre-processing, in the reader
    thread (overlapped with the model unless ``prefetch=0``).
    """

    def __init__(self) -> None:
        self.frames = 0
        self.skipped: List[Dict[str, Any]] = []
        self.frame_shape: Optional[Tuple[int, int]] = None
        self.start = self.end = None
        self.times = dict(
            wait=0., model=0., image_model=0., decode=0., prepare=0.)

    @property
    def wall(self) -> float:
        """Seconds from the first read to the last frame (or now)."""
        if self.start is None:
            return 0.
        return (self.end or time.perf_counter()) - self.start


class _Fanout:
    """Split an iterator of tuples into ``n`` iterators (``side(k, i)``
    yields item ``i`` of each tuple), holding a tuple only until every side
    has passed it (``itertools.tee`` frees its buffer in blocks of 57
    items, which would hold 57 prepared frames)."""

    def __init__(self, items: Iterator[tuple], num_sides: int) -> None:
        self._items = iter(items)
        self._held: Deque[tuple] = deque()
        self._first = 0  # position of self._held[0]
        self._next = [0] * num_sides  # next position of each side

    def side(self, k: int, index: int) -> Iterator[Any]:
        """Iterator ``k``, over item ``index`` of every tuple."""
        while True:
            position = self._next[k]
            while self._first + len(self._held) <= position:
                try:
                    self._held.append(next(self._items))
                except StopIteration:
                    return
            item = self._held[position - self._first]
            self._next[k] += 1
            while self._held and self._first < min(self._next):
                self._held.popleft()
                self._first += 1
            yield item[index]


class _Failure:

    def __init__(self, error: BaseException) -> None:
        self.error = error


@contextmanager
def _timed_calls(targets: Sequence[Tuple[Any, str]], times: Dict[str, float],
                 key: str) -> Iterator[None]:
    """Add the time spent in ``obj.name(...)`` to ``times[key]`` (the method
    is wrapped on the instance, and restored on exit)."""
    saved = []
    for obj, name in targets:
        had = name in vars(obj)
        original = getattr(obj, name)

        def timed(*args, _original=original, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                times[key] += time.perf_counter() - start

        saved.append((obj, name, had, vars(obj).get(name)))
        setattr(obj, name, timed)
    try:
        yield
    finally:
        for obj, name, had, value in reversed(saved):
            if had:
                setattr(obj, name, value)
            else:
                delattr(obj, name)


@contextmanager
def _stacked(*managers: Any) -> Iterator[None]:
    """Enter context managers in order (``contextlib.ExitStack`` style)."""
    with ExitStack() as stack:
        for manager in managers:
            stack.enter_context(manager)
        yield


def _image_model_calls(model: nn.Module) -> List[Tuple[Any, str]]:
    """The (object, method) pairs whose time is the image model's."""
    if isinstance(model, BaseVideoSegmentor):
        image_model = model.image_model
        calls = [(image_model, 'extract_feat')]
        if getattr(image_model, 'decode_head', None) is not None:
            calls.append((image_model.decode_head, 'forward'))
        return calls
    return [(model, 'extract_feat')]


class VideoStream:
    """Segment the frames of a source with a model, one at a time.

    Iterating yields ``(VideoFrame, SegDataSample)`` per segmented frame,
    in order; the sample carries ``pred_sem_seg`` (1, H, W) int64 at the
    frame's size (and ``seg_logits`` (K, H, W) float with
    ``keep_logits``) and the metainfo of the pipeline, plus ``img_path``,
    ``frame_index`` and ``frame_name``. Undecodable frames are skipped
    (``on_skip`` is called with each, and ``stats.skipped`` lists them) or,
    with ``strict``, raise :class:`FrameDecodeError`.

    Args:
        model: a ``BaseVideoSegmentor`` or a ``LabelPropagator`` (both
            streamed) built from a config with a test pipeline (its
            ``cfg``).
        source: the frames.
        pipeline: per-frame pipeline (default: from ``model.cfg``).
        every: segment one frame in ``every``.
        max_frames: stop after this many frames.
        strict: raise at the first undecodable frame.
        first_mask: first-frame annotation PNG (object ids) for label
            propagation; a 0/255 mask is one object (255 -> 1).
        keep_logits: keep ``seg_logits`` on the samples.
        prefetch: frames decoded and prepared ahead in a background
            thread; 0 reads in the calling thread.
        on_skip: called with each skipped frame.

    Raises:
        TypeError: a model that is not a video segmentor.
        ValueError: label propagation without ``first_mask``, or a
            ``first_mask`` for another model; (while iterating) see
            :class:`FrameDecodeError` and the pipeline's checks.
    """

    def __init__(self,
                 model: nn.Module,
                 source: VideoSource,
                 pipeline: Optional[Compose] = None,
                 every: int = 1,
                 max_frames: Optional[int] = None,
                 strict: bool = False,
                 first_mask: Optional[str] = None,
                 keep_logits: bool = False,
                 prefetch: int = 2,
                 on_skip: Optional[Callable[[VideoFrame], None]] = None):
        self._check_model(model)
        is_propagator = isinstance(model, LabelPropagator)
        if is_propagator and first_mask is None:
            raise ValueError('LabelPropagator segments a video from its '
                             'first-frame annotation: give first_mask (a PNG '
                             'of object ids, --first-mask)')
        if first_mask is not None and not is_propagator:
            raise ValueError('first_mask is for label propagation; '
                             f'{type(model).__name__} does not take one')
        self.model = model
        self.source = source
        self.pipeline = pipeline or build_frame_pipeline(model.cfg)
        self.every, self.max_frames = every, max_frames
        self.strict = strict
        self.keep_logits = keep_logits
        self.prefetch = prefetch
        self.on_skip = on_skip
        self.first_mask = first_mask
        self._first_label_map = None
        #: the ids of ``first_mask`` (what label propagation can predict)
        self.first_ids: Optional[List[int]] = None
        if first_mask is not None:
            ids = read_indexed_png(first_mask)  # clear errors, named
            values = set(np.unique(ids).tolist())
            if values <= {0, 255} and 255 in values:
                self._first_label_map = {255: 1}  # a DAVIS-2016 binary mask
                values = {0, 1}
            self.first_ids = sorted((values - {255}) | {0})
        self.stats = StreamStats()
        check_frame_selection(every, max_frames)

    @staticmethod
    def _check_model(model: nn.Module) -> None:
        """Raise TypeError unless ``model`` is a video segmentor."""
        if not isinstance(model, (BaseVideoSegmentor, LabelPropagator)):
            raise TypeError(
                'video inference needs a video segmentor (BaseVideoSegmentor '
                f'or LabelPropagator), got {type(model).__name__}; image '
                'models run with mmseg.apis.MMSegInferencer')

    # ---------------------------------------------------------------- #
    def prepare(self, frame: VideoFrame,
                first: bool = False) -> Tuple[Tensor, SegDataSample]:
        """One decoded frame -> network input (3, H, W) and its sample.

        The frame goes through the pipeline and the model's data
        pre-processor as a clip of one frame; with label propagation the
        first frame also loads ``first_mask`` as its ``gt_sem_seg``.
        """
        info = dict(
            img=frame.image,
            img_path=frame.path,
            seg_map_path=None,
            seg_fields=[],
            reduce_zero_label=False,
            label_map=None,
            frame_id=frame.index,
            frame_index=frame.index,
            video_id=self.source.name)
        if first and self.first_mask is not None:
            info.update(
                seg_map_path=self.first_mask,
                label_map=self._first_label_map)
        packed = self.pipeline(dict(frames=[info], key_frame_flags=[True]))
        data = self.model.data_preprocessor(pseudo_collate([packed]), False)
        sample = data['data_samples'][0].video_data_samples[0]
        sample.set_metainfo(
            dict(
                img_path=frame.path,
                frame_index=frame.index,
                frame_name=frame.name))
        return data['inputs'][0, 0], sample

    def _read(self) -> Iterator[Any]:
        """(frame, input, sample) items; errors as :class:`_Failure`."""
        frames = self.source.frames(self.every, self.max_frames)
        first = True
        while True:
            start = time.perf_counter()
            try:
                frame = next(frames)
            except StopIteration:
                return
            except BaseException as e:  # noqa: B902 (handed to the caller)
                yield _Failure(e)
                return
            now = time.perf_counter()
            self.stats.times['decode'] += now - start
            if frame.image is None:
                if first and self.first_mask is not None:
                    yield _Failure(
                        ValueError(f'{frame.error}; label propagation '
                                   'needs its first frame'))
                    return
                yield frame, None, None
                continue
            try:
                tensor, sample = self.prepare(frame, first)
            except BaseException as e:  # noqa: B902
                yield _Failure(e)
                return
            first = False
            self.stats.times['prepare'] += time.perf_counter() - now
            yield frame, tensor, sample

    def _reader(self, out: 'queue.Queue', stop: threading.Event) -> None:
        """Fill ``out`` from :meth:`_read` until the end or ``stop``."""
        for item in itertools.chain(self._read(), [_END]):
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return

    def prepared(
            self) -> Iterator[Tuple[VideoFrame, Tensor, SegDataSample]]:
        """The prepared frames in order: ``(VideoFrame, input (3, H, W),
        SegDataSample)``; undecodable frames are skipped (``on_skip``) or
        raised (``strict``). Read ahead in a thread with ``prefetch``."""
        if self.prefetch > 0:
            items: 'queue.Queue' = queue.Queue(maxsize=self.prefetch)
            stop = threading.Event()
            reader = threading.Thread(
                target=self._reader, args=(items, stop), daemon=True)
            reader.start()

            def get() -> Any:
                return items.get()
        else:
            stop, reader = None, None
            local = itertools.chain(self._read(), [_END])

            def get() -> Any:
                return next(local)

        try:
            while True:
                start = time.perf_counter()
                item = get()
                self.stats.times['wait'] += time.perf_counter() - start
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                frame, tensor, sample = item
                if tensor is None:
                    if self.strict:
                        raise frame.error
                    self.stats.skipped.append(
                        dict(index=frame.index, name=frame.name,
                             error=str(frame.error)))
                    if self.on_skip is not None:
                        self.on_skip(frame)
                    continue
                if self.stats.frame_shape is None:
                    self.stats.frame_shape = tuple(frame.image.shape[:2])
                yield frame, tensor, sample
        finally:
            if stop is not None:
                stop.set()
                reader.join(timeout=10)

    def __iter__(self) -> Iterator[Tuple[VideoFrame, SegDataSample]]:
        stats = self.stats
        stats.start = time.perf_counter()
        for frame, sample in self._streamed():
            stats.frames += 1
            stats.end = time.perf_counter()
            yield frame, sample
        stats.end = time.perf_counter()

    def _in_model(self) -> Any:
        """No gradients, and the image model's time counted."""
        return _stacked(torch.no_grad(), _timed_calls(
            _image_model_calls(self.model), self.stats.times, 'image_model'))

    def _streamed(self) -> Iterator[Tuple[VideoFrame, SegDataSample]]:
        """Frames fed one at a time into ``predict_stream``."""
        fanout = _Fanout(self.prepared(), 3)
        predictions = self.model.predict_stream(
            FrameStream(fanout.side(0, 1), self.model),
            fanout.side(1, 2),
            keep_seg_logits=self.keep_logits)
        infos = fanout.side(2, 0)
        times = self.stats.times
        while True:
            start, waited = time.perf_counter(), times['wait']
            with self._in_model():
                try:
                    sample = next(predictions)
                except StopIteration:
                    return
            times['model'] += time.perf_counter() - start - (
                times['wait'] - waited)
            yield next(infos), sample


def inference_video(model: nn.Module,
                    frames: SourceType,
                    every: int = 1,
                    max_frames: Optional[int] = None,
                    return_logits: bool = False,
                    strict: bool = False,
                    first_mask: Optional[str] = None
                    ) -> Iterator[SegDataSample]:
    """Segment a video with a model from :func:`init_model`, lazily.

    The video counterpart of mmseg's ``inference_model``: a generator, so
    a long video is never held in memory (``list(...)`` collects it).
    Frames that cannot be decoded are skipped with a warning naming their
    index and file (``strict=True`` raises instead).

    Args:
        model: a video segmentor with ``cfg`` (from :func:`init_model` or
            :class:`VideoSegInferencer`).
        frames: a video file, a folder of frames (sorted by name), a
            (T, H, W, 3) uint8 BGR array or an iterable of (H, W, 3) ones.
        every: segment one frame in ``every``.
        max_frames: stop after this many segmented frames.
        return_logits: keep ``seg_logits`` (K, H, W) float32 per frame.
        strict: raise :class:`FrameDecodeError` at an undecodable frame.
        first_mask: the first frame's object-id PNG (label propagation).

    Yields:
        SegDataSample: per frame, ``pred_sem_seg`` (1, H, W) int64 class
        ids at the frame's size, metainfo ``frame_index`` (position in the
        source), ``frame_name`` and ``img_path`` (folders).

    Raises:
        FileNotFoundError / ValueError: see :func:`open_video_source`;
            FrameDecodeError under ``strict``.
    """
    source = open_video_source(frames)

    def warn(frame: VideoFrame) -> None:
        warnings.warn(f'skipped {frame.error}')

    stream = VideoStream(
        model,
        source,
        every=every,
        max_frames=max_frames,
        strict=strict,
        first_mask=first_mask,
        keep_logits=return_logits,
        on_skip=warn)
    for _, sample in stream:
        yield sample


__all__ = [
    'FrameDecodeError', 'FrameStream', 'StreamStats', 'VideoStream',
    'build_frame_pipeline', 'dataset_meta', 'inference_video', 'init_model',
    'model_num_classes'
]
