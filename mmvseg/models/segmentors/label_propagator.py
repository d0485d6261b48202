# Copyright (c) mmvseg contributors. All rights reserved.
"""Training-free label propagation as a test-only mmseg segmentor.

The algorithm of ajabri/videowalk ``code/test.py`` (run unchanged by CatMAE,
``test_mae.py``): the first-frame label as one-hot, the first frame kept as
long-term memory next to the previous n frames, top-k affinity propagation
(:func:`mmvseg.models.propagation.propagate_labels`), bilinear upsampling and
argmax of the result. The OpenMMLab shape is a test-only segmentor, as
mmdet's VIS/VOS models that segment a whole video in ``predict``.
"""
import itertools
from collections import deque
from typing import (Deque, Dict, Iterable, Iterator, List, Optional, Sequence,
                    Tuple)

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvseg.models.propagation import LabelPropagation, labels_to_ids
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList

VOID_ID = 255
#: ``test_cfg`` keys without a default.
REQUIRED_TEST_CFG = ('temperature', 'topk', 'radius', 'num_context')
#: ``test_cfg`` keys with a default.
DEFAULT_TEST_CFG = dict(normalize=True, tile_size=10, chunk_size=5)
#: ``test_cfg`` keys that are arguments of :class:`LabelPropagation`.
PROPAGATION_KEYS = ('temperature', 'topk', 'radius', 'num_context',
                    'normalize', 'tile_size')


def first_frame_one_hot(ids: Tensor) -> Tuple[Tensor, Tensor]:
    """One-hot of the first-frame object ids, background included.

    Void (255) counts as background. Channel 0 is always the background
    (all zeros when frame 0 has none, which changes no prediction: a zero
    channel never wins the argmax); channels 1.. are the ids present, in
    increasing order (the order that videowalk's colour sort gives DAVIS ids).

    Args:
        ids (Tensor): (H, W) integer object ids of frame 0.

    Returns:
        tuple[Tensor, Tensor]: ``object_ids`` int64 (L,), the id of each
        channel (``object_ids[0] == 0``), and the one-hot float32
        (L, H, W).

    Raises:
        ValueError: ``ids`` is not a 2-D integer tensor.
    """
    if ids.dim() != 2 or ids.is_floating_point():
        raise ValueError('first-frame ids must be an (H, W) integer tensor, '
                         f'got {ids.dtype} {tuple(ids.shape)}')
    ids = ids.long().masked_fill(ids == VOID_ID, 0)
    object_ids = torch.unique(torch.cat([ids.new_zeros(1), ids.flatten()]))
    one_hot = (ids[None] == object_ids[:, None, None]).float()
    return object_ids, one_hot


def label_to_feature_grid(one_hot: Tensor, grid: Sequence[int]) -> Tensor:
    """Downsample a frame-0 one-hot to the feature grid.

    ``cv2.resize(one_hot, (w, h))`` of VW/CM: bilinear, half-pixel centres
    (``align_corners=False``), no antialiasing, straight to ``(h, w)`` (for
    an exact factor 8: the mean of the central 2x2 pixels of each 8x8
    block). The channels still sum to 1 per cell.

    Args:
        one_hot (Tensor): (L, H, W) float one-hot at frame size.
        grid (Sequence[int]): (h, w) feature grid.

    Returns:
        Tensor: (L, h, w) soft labels, dtype of ``one_hot``.
    """
    return F.interpolate(
        one_hot[None],
        size=tuple(grid),
        mode='bilinear',
        align_corners=False,
        antialias=False)[0]


def _parse_test_cfg(test_cfg: OptConfigType) -> Dict:
    """``test_cfg`` with defaults, checked for missing/unknown keys."""
    test_cfg = dict(test_cfg or {})
    missing = [key for key in REQUIRED_TEST_CFG if key not in test_cfg]
    unknown = sorted(
        set(test_cfg) - set(REQUIRED_TEST_CFG) - set(DEFAULT_TEST_CFG))
    if missing or unknown:
        raise ValueError(
            f'LabelPropagator test_cfg needs {list(REQUIRED_TEST_CFG)} '
            f'(optional: {sorted(DEFAULT_TEST_CFG)}); missing {missing}, '
            f'unknown {unknown}')
    chunk_size = test_cfg.get('chunk_size', DEFAULT_TEST_CFG['chunk_size'])
    if isinstance(chunk_size, bool) or not isinstance(chunk_size,
                                                      int) or chunk_size < 1:
        raise ValueError(
            f'test_cfg.chunk_size must be an int >= 1, got {chunk_size!r}')
    return {**DEFAULT_TEST_CFG, **test_cfg}


@MODELS.register_module()
class LabelPropagator(BaseSegmentor):
    """Semi-supervised VOS by label propagation on frozen features.

    Test-only: ``predict`` takes one whole video
    and its first-frame annotation and segments every later frame:

    1. frame 0's ``gt_sem_seg`` (object ids, 255 void -> background) is
       one-hot encoded over background + the ids present
       (:func:`first_frame_one_hot`);
    2. every frame is encoded by ``backbone`` (+ ``neck``), ``chunk_size``
       frames at a time, and feature map ``feat_index`` is kept: (T, C, h, w);
    3. the one-hot is resized to (h, w) (:func:`label_to_feature_grid`)
       and propagated (:func:`propagate_labels`: L2-normalised
       features, frame 0 as long-term memory, ``num_context`` previous
       frames within ``radius`` cells, top-``topk`` softmax at
       ``temperature``, soft feedback; videowalk ``code/test.py``);
    4. each soft map is upsampled bilinearly (half-pixel centres) to the
       frame's ``ori_shape`` and arg-maxed (:func:`labels_to_ids`);
       channels are mapped back to object ids.

    Every frame gets ``pred_sem_seg`` (1, H, W) int64 object ids (frame 0:
    its ground truth, void as background); no ``seg_logits`` are kept.
    The result never holds an id absent from frame 0 (DAVIS rules).

    mmseg's ``postprocess_result`` and ``decode_head`` are not used: all
    resizes are bilinear with ``align_corners=False`` (attribute
    :attr:`align_corners`). The DAVIS pipeline keeps frames at their native
    size (videowalk's protocol), so features, labels and outputs refer to
    the same frame. If the pipeline resizes frames, the first-frame label
    (at original size) is resized straight to the feature grid and the
    predictions straight back to the original size (VW/CM instead resize the
    label to the network size first and the id map back with nearest).
    Padded inputs are rejected: the feature grid must cover the frame
    exactly.

    ``Runner.test()`` never calls ``init_weights``: the backbone weights
    come from ``tools/test.py``'s checkpoint (a converted pre-trained model;
    for weight-free backbones ``tools/misc/save_init_checkpoint.py CONFIG
    OUT`` writes one).

    Args:
        backbone: any registered backbone config; its output is a tensor or
            a tuple/list of (B, C, h, w) maps.
        neck: optional neck config applied to the backbone output.
        test_cfg: propagation parameters: ``temperature`` (T > 0), ``topk``
            (k), ``radius`` (r in feature cells, strict ``<``; None = no
            limit), ``num_context`` (n); optional ``normalize`` (L2 over
            channels, default True), ``tile_size`` (10, speed/memory only)
            and ``chunk_size`` (frames per backbone call, 5). Presets:
            videowalk README (CRW: T 0.05, k 10, r 12, n 20).
        feat_index: which map of a tuple/list output to use (default: the
            last).
        data_preprocessor: usually ``VideoSegDataPreProcessor``.
        init_cfg: mmengine initialisation config (used by
            ``save_init_checkpoint.py``, not by ``Runner.test()``).

    Raises:
        ValueError: a ``test_cfg`` with missing/unknown keys or a bad
            ``chunk_size``.
    """

    #: All resizes use half-pixel centres (videowalk/CatMAE: ``cv2.resize``).
    align_corners = False

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 feat_index: int = -1,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.feat_index = feat_index
        self.test_cfg = _parse_test_cfg(test_cfg)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Feature map of frames ``inputs`` (B, 3, H, W): (B, C, h, w)."""
        feats = self.backbone(inputs)
        if self.with_neck:
            feats = self.neck(feats)
        if isinstance(feats, (tuple, list)):
            feats = feats[self.feat_index]
        return feats

    def encode_frames(self, frames: Tensor) -> Tensor:
        """Features of a video (T, 3, H, W), ``chunk_size`` frames per
        backbone call (bounds the backbone's activation memory).

        Returns:
            Tensor: (T, C, h, w).
        """
        return torch.stack(list(self.iter_features(frames)))

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Not available: propagation needs a first-frame annotation.

        Raises:
            NotImplementedError: always; use :meth:`predict`.
        """
        raise NotImplementedError(
            'LabelPropagator has no decoder: it segments a video from its '
            'first-frame annotation, use predict(inputs, data_samples)')

    def loss(self, inputs: Tensor, data_samples: VideoSampleList) -> dict:
        """Not available: the propagator is training-free.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            'LabelPropagator is training-free (frozen backbone, no '
            'trainable head): run tools/test.py with a checkpoint, not '
            'tools/train.py')

    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[VideoSampleList] = None) -> Tensor:
        """Features of every frame: (N, T, 3, H, W) -> (N, T, C, h, w)."""
        return torch.stack([self.encode_frames(clip) for clip in inputs])

    def iter_features(self, frames: Iterable[Tensor]) -> Iterator[Tensor]:
        """Features (C, h, w) of frames (3, H, W) taken lazily,
        ``chunk_size`` frames per backbone call (bounds the backbone's
        activation memory), holding at most a chunk."""
        chunk: List[Tensor] = []
        for frame in itertools.chain(frames, [None]):
            if frame is not None:
                chunk.append(frame)
            if chunk and (frame is None
                          or len(chunk) == self.test_cfg['chunk_size']):
                yield from self.extract_feat(torch.stack(chunk))
                chunk = []

    def predict_stream(self,
                       frames: Iterable[Tensor],
                       frame_samples: Iterable[SegDataSample],
                       keep_seg_logits: Optional[bool] = None
                       ) -> Iterator[SegDataSample]:
        """Propagate frame 0's annotation through a video as it comes.

        Frames and samples are read lazily, at most ``chunk_size`` frames
        ahead of the output, and the propagation holds
        ``num_context + 1`` frames (:class:`LabelPropagation`), so memory
        does not grow with the video; the result equals :meth:`predict`.

        Args:
            frames: preprocessed frames (3, H, W), unpadded, in order.
            frame_samples: one ``SegDataSample`` per frame; the first carries
                ``gt_sem_seg`` (1, H0, W0) object ids.
            keep_seg_logits: unused (propagation has no class logits); kept
                for the signature of
                :meth:`mmvseg.models.segmentors.BaseVideoSegmentor.
                predict_stream`.

        Yields:
            SegDataSample: each frame sample with ``pred_sem_seg``
            (1, H0, W0) int64 object ids at its ``ori_shape`` (frame 0: its
            annotation, void as background).

        Raises:
            ValueError: no ``gt_sem_seg`` on the first sample, a padded frame
                (its ``img_shape`` differs from the input), or frames of
                different sizes.
        """
        samples = iter(frame_samples)
        pending: Deque[SegDataSample] = deque()  # waiting for features
        input_hw: List[Tuple[int, int]] = []

        def checked() -> Iterator[Tensor]:
            for t, frame in enumerate(frames):
                sample = next(samples, None)
                if sample is None:
                    raise ValueError(f'frame {t} has no frame sample')
                input_hw[:] = input_hw or [tuple(frame.shape[-2:])]
                self._check_frame(frame, sample, t, input_hw[0])
                pending.append(sample)
                yield frame

        propagation, object_ids = None, None
        with torch.no_grad():
            for feat in self.iter_features(checked()):
                frame, feat = pending.popleft(), feat.float()
                if propagation is None:
                    object_ids, one_hot = first_frame_one_hot(
                        frame.gt_sem_seg.data[0].to(feat.device))
                    propagation = LabelPropagation(
                        feat,
                        label_to_feature_grid(one_hot, feat.shape[-2:]),
                        **{k: self.test_cfg[k] for k in PROPAGATION_KEYS})
                    pred = object_ids[one_hot.argmax(dim=0)]
                else:
                    size = frame.metainfo.get('ori_shape', input_hw[0])
                    channels = labels_to_ids(
                        propagation.step(feat), tuple(size[:2]))
                    pred = object_ids[channels]
                frame.pred_sem_seg = PixelData(data=pred[None])
                yield frame

    @staticmethod
    def _check_frame(frame: Tensor, sample: SegDataSample, t: int,
                     input_hw: Tuple[int, int]) -> None:
        """Raise a ``ValueError`` naming the video and frame for a frame of
        another size than frame 0, a padded frame, or a frame 0 without
        annotation."""
        name = (f'video "{sample.metainfo.get("video_id")}" frame {t} '
                f'({sample.metainfo.get("img_path")})')
        if frame.dim() != 3 or tuple(frame.shape[-2:]) != input_hw:
            raise ValueError(
                f'{name}: input of shape {tuple(frame.shape)}, expected '
                f'(3, {input_hw[0]}, {input_hw[1]}) as frame 0')
        img_shape = sample.metainfo.get('img_shape')
        if img_shape is not None and tuple(img_shape[:2]) != input_hw:
            raise ValueError(
                f'{name}: inputs of size {input_hw} are padded (frame '
                f'size {tuple(img_shape[:2])}); LabelPropagator needs '
                'unpadded frames (no size/size_divisor in the data '
                'preprocessor test_cfg)')
        if t == 0 and 'gt_sem_seg' not in sample:
            raise ValueError(f'{name}: frame 0 has no gt_sem_seg; label '
                             'propagation needs the first-frame annotation')

    def predict(self, inputs: Tensor,
                data_samples: VideoSampleList) -> VideoSampleList:
        """Propagate frame 0's annotation through one video
        (:meth:`predict_stream` on its frames).

        Args:
            inputs (Tensor): (1, T, 3, H, W) preprocessed frames of one whole
                video, unpadded.
            data_samples (list[VideoSegDataSample]): one sample of T frames;
                frame 0 must carry ``gt_sem_seg`` (1, H0, W0) object ids.

        Returns:
            list[VideoSegDataSample]: ``data_samples``, every frame with
            ``pred_sem_seg`` (1, H0, W0) int64 object ids at its
            ``ori_shape``.

        Raises:
            ValueError: inputs not (1, T, 3, H, W), a sample count or frame
                count that does not match, padded inputs, or no
                ``gt_sem_seg`` on frame 0 (the message names the video).
        """
        frames = self._check_video(inputs, data_samples)
        for _ in self.predict_stream(inputs[0], frames):
            pass
        return data_samples

    @staticmethod
    def _check_video(inputs: Tensor,
                     data_samples: VideoSampleList) -> List[SegDataSample]:
        """The frame samples of the single video (one video of as many
        frames as samples; the frames are checked by
        :meth:`predict_stream`)."""
        if inputs.dim() != 5 or inputs.shape[0] != 1:
            raise ValueError('LabelPropagator.predict takes one video at a '
                             'time (batch size 1): inputs (1, T, 3, H, W), '
                             f'got {tuple(inputs.shape)}')
        if data_samples is None or len(data_samples) != 1 or len(
                data_samples[0]) != inputs.shape[1]:
            raise ValueError('LabelPropagator.predict needs one '
                             f'VideoSegDataSample of {inputs.shape[1]} '
                             'frames')
        return data_samples[0].video_data_samples
