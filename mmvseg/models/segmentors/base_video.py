# Copyright (c) mmvseg contributors. All rights reserved.
from abc import abstractmethod
from collections import deque
from typing import (Any, Deque, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Union)

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, add_prefix
from torch import Tensor, nn

from mmvseg.models.utils import build_teacher
from mmvseg.registry import MODELS
from mmvseg.structures import VideoSampleList

IMAGE_MODEL_KEYS = ('backbone.', 'decode_head.', 'neck.', 'auxiliary_head.')


class _SampleFeed:
    """One iterator of frame samples read by ``predict_clip`` (which may
    ignore it, as SSP does) and by the pairing of its outputs.

    A sample is held until the output side has passed it (a plain
    ``itertools.tee`` would hold every sample the model never reads, i.e.
    the whole video); a model that reads sample t no later than it yields
    the logits of frame t (the causal order) sees every sample.
    """

    def __init__(self, samples: Iterable[SegDataSample]) -> None:
        self._samples = iter(samples)
        self._held: Deque[SegDataSample] = deque()
        self._first = 0  # position of self._held[0]
        self._model = self._output = 0  # next position of each side

    def _get(self, position: int) -> SegDataSample:
        while self._first + len(self._held) <= position:
            self._held.append(next(self._samples))  # StopIteration ends
        return self._held[position - self._first]

    def model_side(self) -> Iterator[SegDataSample]:
        while True:
            self._model = max(self._model, self._first)
            try:
                sample = self._get(self._model)
            except StopIteration:
                return
            self._model += 1
            yield sample

    def output_side(self) -> Iterator[SegDataSample]:
        while True:
            try:
                sample = self._get(self._output)
            except StopIteration:
                return
            self._output += 1
            while self._first < self._output:  # passed by the output
                self._held.popleft()
                self._first += 1
            yield sample


class BaseVideoSegmentor(BaseSegmentor):
    """A video segmentor that wraps an mmseg image model.

    The image model is any mmseg segmentor config (usually ``EncoderDecoder``,
    backbone + decode head); its ``data_preprocessor`` is dropped because the
    video segmentor's own ``VideoSegDataPreProcessor`` prepares whole clips.
    Subclasses implement :meth:`predict_clip` (the recurrent or per-frame
    inference over one clip, whose state lives only inside that call) and
    the two steps of training:

    - :meth:`forward_train` returns named outputs (logits of the key and
      reference frames, fused outputs, features, frames);
    - :meth:`loss_by_outputs` turns them into the loss dict, so a method
      adds a loss term (distillation, temporal) by extending this step
      without copying the forward (:meth:`loss` chains the two).

    Shared parts a method opts into:

    - ``teacher``: a frozen model (image or video) whose logits are targets
      (:meth:`teacher_logits`). It is always in eval mode without gradients,
      outside ``parameters()`` (hence never in the optimizer, nor wrapped by
      DDP) and outside ``state_dict()`` (checkpoints of the student hold no
      teacher, and testing needs none). It is built and loaded on first use,
      on the device of the student.
    - ``flow``: a flow estimator (``DISFlow``, ``RAFTFlow``, ``FileFlow``,
      ...) used through :meth:`estimate_flow`; frozen unless its config says
      ``trainable=True``.
    - ``freeze``: module-name prefixes kept in eval mode with
      ``requires_grad=False`` (mmdet's ``BaseMOTModel.freeze_module``).

    A checkpoint of the image model alone (keys ``backbone.*``,
    ``decode_head.*``, as written by ``tools/model_converters/``) loads
    directly into the video segmentor: its keys are prefixed with
    ``image_model.`` on the fly, so ``tools/test.py CONFIG IMAGE_CKPT`` works.

    Args:
        image_model: mmseg config of the per-frame model.
        teacher: ``dict(model=CONFIG_OR_PATH, checkpoint=PATH)``, see
            :func:`mmvseg.models.utils.build_teacher`; None for no teacher.
        flow: flow estimator config; None for no flow.
        freeze: module-name prefixes to freeze, e.g. ``['image_model']`` or
            ``['image_model.backbone']``. Prefixes of modules built by a
            subclass take effect from the first ``train()`` call.
        logits_upsample: interpolation used to bring the decode head's logits
            to the input size, ``'bilinear'`` (mmseg) or ``'bicubic'``
            (FraunhoferIVI/SSP ``models/image/base_model.py``).
        keep_seg_logits: keep each frame's (K, H, W) float logits in the
            predictions (``seg_logits``); off by default, a clip of logits at
            full size is large.
        data_preprocessor: a ``VideoSegDataPreProcessor`` config (its
            defaults when None).
        init_cfg: mmengine initialisation config.

    Raises:
        ValueError: unknown ``logits_upsample``; a ``freeze`` prefix that
            names no module; a teacher config without ``model`` and
            ``checkpoint``.
    """

    def __init__(self,
                 image_model: ConfigType,
                 teacher: OptConfigType = None,
                 flow: OptConfigType = None,
                 freeze: Sequence[str] = (),
                 logits_upsample: str = 'bilinear',
                 keep_seg_logits: bool = False,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        if data_preprocessor is None:
            data_preprocessor = MODELS.build(
                dict(type='VideoSegDataPreProcessor'))
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        image_model = dict(image_model)
        image_model.pop('data_preprocessor', None)
        self.image_model = MODELS.build(image_model)
        if logits_upsample not in ('bilinear', 'bicubic'):
            raise ValueError('logits_upsample must be bilinear or bicubic, '
                             f'got {logits_upsample!r}')
        self.logits_upsample = logits_upsample
        self.keep_seg_logits = keep_seg_logits
        self.flow = MODELS.build(flow) if flow else None
        if teacher is not None and not {'model', 'checkpoint'} <= set(teacher):
            raise ValueError('teacher needs dict(model=..., checkpoint=...), '
                             f'got keys {sorted(teacher)}')
        self._teacher_cfg = teacher
        self._teacher: List[nn.Module] = []  # a list hides it from nn.Module
        self.freeze = tuple(freeze)
        self._freeze_modules(check=False)
        self._register_load_state_dict_pre_hook(self._accept_image_model_ckpt)

    # ------------------------------------------------------------------ #
    # mmseg's post-processing reads these two attributes
    @property
    def align_corners(self) -> bool:
        return self.image_model.align_corners

    @property
    def decode_head(self):
        return self.image_model.decode_head

    # ------------------------------------------------------------------ #
    # freezing and the teacher
    def _frozen_modules(self) -> Iterator[nn.Module]:
        for name, module in self.named_modules():
            if any(name == p or name.startswith(p + '.') for p in self.freeze):
                yield module

    def _freeze_modules(self, check: bool) -> None:
        """Freeze the modules named by ``freeze``.

        Raises:
            ValueError: (``check``) a prefix names no module.
        """
        if check:
            names = {name for name, _ in self.named_modules()}
            unknown = [p for p in self.freeze if p not in names]
            if unknown:
                raise ValueError(f'freeze names no module: {unknown}')
        for module in self._frozen_modules():
            module.requires_grad_(False)
            module.eval()

    def train(self, mode: bool = True) -> 'BaseVideoSegmentor':
        """Set the mode; frozen modules and the teacher stay in eval mode."""
        super().train(mode)
        self._freeze_modules(check=True)
        return self

    @property
    def with_teacher(self) -> bool:
        return self._teacher_cfg is not None

    @property
    def teacher(self) -> nn.Module:
        """The frozen teacher, built and loaded on first access.

        Raises:
            RuntimeError: the model has no teacher.
        """
        if not self.with_teacher:
            raise RuntimeError(f'{type(self).__name__} has no teacher')
        if not self._teacher:
            teacher = build_teacher(self._teacher_cfg['model'],
                                    self._teacher_cfg['checkpoint'])
            param = next(self.parameters(), None)
            if param is not None:
                teacher.to(param.device)
            self._teacher.append(teacher)
        return self._teacher[0]

    def _apply(self, fn, *args, **kwargs):
        """Move or cast the teacher with the student (``to``, ``cuda``)."""
        super()._apply(fn, *args, **kwargs)
        if self._teacher:
            self._teacher[0]._apply(fn, *args, **kwargs)
        return self

    def teacher_logits(self, frames: Tensor) -> Tensor:
        """The teacher's per-frame logits, without gradients.

        Args:
            frames: (B, 3, H, W) frames as the student sees them
                (preprocessed).

        Returns:
            Tensor: (B, K_teacher, H, W) float logits (not probabilities),
            upsampled to the input size by the teacher's own decode path.
        """
        size = tuple(frames.shape[2:])
        metas = [dict(img_shape=size, pad_shape=size, ori_shape=size)
                 for _ in range(frames.shape[0])]
        with torch.no_grad():
            return self.teacher.encode_decode(frames, metas)

    @staticmethod
    def _accept_image_model_ckpt(state_dict: Dict[str, Tensor], prefix: str,
                                 *args) -> None:
        """Prefix the keys of an image-model-only state dict in place."""
        keys = [k for k in state_dict if k.startswith(prefix)]
        if any(k[len(prefix):].startswith('image_model.') for k in keys):
            return
        if not any(k[len(prefix):].startswith(IMAGE_MODEL_KEYS)
                   for k in keys):
            return
        for key in keys:
            state_dict[prefix + 'image_model.' +
                       key[len(prefix):]] = state_dict.pop(key)
        print_log(
            'the checkpoint holds an image model only: its keys were loaded '
            'under image_model.',
            logger='current')

    # ------------------------------------------------------------------ #
    # per-frame building blocks
    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Image-model features of frames (B, 3, H, W): every backbone (and
        neck) level, as the decode head receives them."""
        return self.image_model.extract_feat(inputs)

    def head_feature(self, feats: Sequence[Tensor]) -> Tensor:
        """The decode head's feature before its classifier.

        mmseg's decode heads split ``forward`` into ``_forward_feature``
        (e.g. UPerHead's ``fpn_bottleneck`` output, FCN/PSP/ASPP heads'
        last convolution) and ``cls_seg`` (dropout + 1x1 classifier), so
        ``cls_seg(head_feature(feats))`` equals the head's logits.
        ``ESPNetHead`` follows the same split.

        Args:
            feats: the output of :meth:`extract_feat`.

        Returns:
            Tensor: (B, C, h, w) float feature at the head's output stride.

        Raises:
            TypeError: the decode head has no ``_forward_feature``.
        """
        head = self.decode_head
        if not hasattr(head, '_forward_feature'):
            raise TypeError(f'{type(head).__name__} does not split its '
                            'forward into _forward_feature and cls_seg')
        return head._forward_feature(feats)

    def upsample_logits(self, logits: Tensor, size: Sequence[int]) -> Tensor:
        """(B, K, h, w) logits -> (B, K, H, W) with ``logits_upsample``."""
        if tuple(logits.shape[2:]) == tuple(size):
            return logits
        return F.interpolate(
            logits,
            size=tuple(size),
            mode=self.logits_upsample,
            align_corners=self.align_corners)

    def decode_logits(self, feats: Sequence[Tensor],
                      size: Sequence[int]) -> Tensor:
        """Decode head logits of a frame batch, upsampled to ``size``.

        Args:
            feats: backbone (and neck) features of B frames.
            size: (H, W) of the (padded) network input.

        Returns:
            Tensor: (B, K, H, W) float logits (not probabilities).
        """
        return self.upsample_logits(self.decode_head.forward(feats), size)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Per-frame logits (B, K, H, W) of frames (B, 3, H, W)."""
        return self.decode_logits(self.extract_feat(inputs), inputs.shape[2:])

    def decode_losses(self, logits: Tensor, feats: Sequence[Tensor],
                      samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """The image model's losses on logits already at the input size.

        The decode head's ``loss_by_feat`` on ``logits`` (keys
        ``decode.*``) and, when the image model has auxiliary heads, their
        own ``loss`` on ``feats`` (``aux.*``, ``aux_{i}.*``): mmseg's
        ``EncoderDecoder.loss`` keys.

        Args:
            logits: (B, K, H, W) logits at the size of the labels.
            feats: the features of the same B frames.
            samples: B labelled frame data samples.

        Returns:
            dict[str, Tensor]: the losses and accuracies.
        """
        losses = add_prefix(
            self.decode_head.loss_by_feat(logits, samples), 'decode')
        if self.image_model.with_auxiliary_head:
            heads = self.image_model.auxiliary_head
            named = [(f'aux_{i}', head) for i, head in enumerate(heads)] \
                if isinstance(heads, nn.ModuleList) else [('aux', heads)]
            for name, head in named:
                losses.update(add_prefix(
                    head.loss(feats, samples, self.image_model.train_cfg),
                    name))
        return losses

    # ------------------------------------------------------------------ #
    # frames and flow
    def denormalize(self, frames: Tensor) -> Tensor:
        """Network frames (B, 3, H, W) -> float RGB in [0, 255].

        See :meth:`VideoSegDataPreProcessor.denormalize`.
        """
        return self.data_preprocessor.denormalize(frames)

    def estimate_flow(self, frames_t: Tensor, frames_s: Tensor) -> Tensor:
        """Backward flow ``f_{t->s}`` between two batches of network frames.

        Args:
            frames_t: (N, 3, H, W) preprocessed frames t.
            frames_s: (N, 3, H, W) preprocessed frames s.

        Returns:
            Tensor: (N, 2, H, W) float32 flow in pixels on frame t's grid
            (``flow_warp(x_s, flow)`` brings s onto t); with gradients only
            when the estimator is trainable.

        Raises:
            RuntimeError: the model has no flow estimator.
        """
        if self.flow is None:
            raise RuntimeError(f'{type(self).__name__} has no flow estimator')
        return self.flow(
            self.denormalize(frames_t), self.denormalize(frames_s))

    # ------------------------------------------------------------------ #
    # training
    @abstractmethod
    def forward_train(self, inputs: Tensor,
                      data_samples: VideoSampleList) -> Dict[str, Any]:
        """The named outputs of a training batch (no losses).

        Args:
            inputs: (N, T, 3, H, W) preprocessed clips.
            data_samples: N ``VideoSegDataSample``.

        Returns:
            dict: outputs named by the subclass (its docstring lists them).
        """

    @abstractmethod
    def loss_by_outputs(self, outputs: Dict[str, Any],
                        data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """Losses of a training batch from :meth:`forward_train`'s outputs.

        Returns:
            dict[str, Tensor]: mmseg's loss dict (keys with ``loss`` are
            summed by mmengine).
        """

    def loss(self, inputs: Tensor,
             data_samples: VideoSampleList) -> Dict[str, Tensor]:
        """:meth:`forward_train`, then :meth:`loss_by_outputs`."""
        return self.loss_by_outputs(
            self.forward_train(inputs, data_samples), data_samples)

    # ------------------------------------------------------------------ #
    # inference
    @staticmethod
    def iter_frames(
            frames: Union[Tensor, Iterable[Tensor]]) -> Iterator[Tensor]:
        """The frames of one clip as (1, 3, H, W) tensors, one at a time.

        A (T, 3, H, W) tensor gives the views ``frames[t:t + 1]`` (what
        :meth:`predict_clip` always sliced); any other iterable is consumed
        lazily, item by item, so a caller can stream a video of unknown
        length (``mmvseg.apis.VideoSegInferencer``) and hold one frame at a
        time. Its items are (3, H, W) or (1, 3, H, W) float tensors.

        Raises:
            ValueError: a tensor clip that is not 4-D, or an item that is not
                a (3, H, W) / (1, 3, H, W) tensor (the message gives its
                position).
        """
        if isinstance(frames, Tensor):
            if frames.dim() != 4:
                raise ValueError('a clip is a (T, 3, H, W) tensor, got shape '
                                 f'{tuple(frames.shape)}')
            for t in range(frames.shape[0]):
                yield frames[t:t + 1]
            return
        for t, frame in enumerate(frames):
            if not isinstance(frame, Tensor) or not (
                    frame.dim() == 3 or frame.dim() == 4
                    and frame.shape[0] == 1):
                shape = tuple(frame.shape) if isinstance(
                    frame, Tensor) else type(frame).__name__
                raise ValueError(f'frame {t} of the stream must be a (3, H, '
                                 f'W) or (1, 3, H, W) tensor, got {shape}')
            yield frame if frame.dim() == 4 else frame[None]

    @abstractmethod
    def predict_clip(self, frames: Union[Tensor, Iterable[Tensor]],
                     frame_samples: Iterable[SegDataSample]
                     ) -> Iterator[Tensor]:
        """Yield the logits of each frame of one clip, in temporal order.

        Causal: the logits of frame t depend on frames 0..t only, and frame
        t + 1 is read from ``frames`` only after the logits of frame t are
        yielded, so a lazy iterable streams a video through the model.
        Implementations go through :meth:`iter_frames`.

        Args:
            frames: (T, 3, H, W) normalised frames of one clip, or an
                iterable of (3, H, W) / (1, 3, H, W) frames (see
                :meth:`iter_frames`).
            frame_samples: the frame data samples (metainfo), one per frame,
                a sequence or an iterable consumed alongside ``frames``.

        Yields:
            Tensor: (1, K, H, W) float logits of frame t at input size.
        """

    def predict_stream(self,
                       frames: Union[Tensor, Iterable[Tensor]],
                       frame_samples: Iterable[SegDataSample],
                       keep_seg_logits: Optional[bool] = None
                       ) -> Iterator[SegDataSample]:
        """Segment the frames of one clip as they come, in temporal order.

        :meth:`predict_clip` followed by mmseg's ``postprocess_result`` on
        each frame: what :meth:`predict` does for every clip, with frames
        and samples consumed lazily (each sample is held until its logits
        are out), so a video of any length streams through with the state
        of :meth:`predict_clip` carried from frame to frame.

        Args:
            frames: as in :meth:`predict_clip`.
            frame_samples: one ``SegDataSample`` per frame with its metainfo
                (``img_shape``, ``ori_shape``, ``padding_size``, ...).
            keep_seg_logits: keep the (K, H0, W0) logits as ``seg_logits``;
                None: the model's ``keep_seg_logits``.

        Yields:
            SegDataSample: each frame sample, with ``pred_sem_seg``
            (1, H0, W0) int64 at its ``ori_shape`` (and ``seg_logits``).
        """
        keep = self.keep_seg_logits if keep_seg_logits is None \
            else keep_seg_logits
        if isinstance(frame_samples, Sequence):
            to_model, to_output = frame_samples, iter(frame_samples)
        else:  # the model may ignore its samples: do not buffer them all
            feed = _SampleFeed(frame_samples)
            to_model, to_output = feed.model_side(), feed.output_side()
        for logits, frame in zip(
                self.predict_clip(frames, to_model), to_output):
            self.postprocess_result(logits, [frame])
            if not keep:
                del frame.seg_logits
            yield frame

    def predict(self, inputs: Tensor,
                data_samples: VideoSampleList) -> VideoSampleList:
        """Segment every frame of every clip.

        Args:
            inputs: (N, T, 3, H, W) normalised clips.
            data_samples: N ``VideoSegDataSample``.

        Returns:
            list[VideoSegDataSample]: the same samples, each frame carrying
            ``pred_sem_seg`` (1, H0, W0) int64 at its original size (and
            ``seg_logits`` when ``keep_seg_logits``).
        """
        self._check_clips(inputs, data_samples)
        for frames, sample in zip(inputs, data_samples):
            for _ in self.predict_stream(frames, sample.video_data_samples):
                pass
        return data_samples

    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[VideoSampleList] = None) -> Tensor:
        """Raw logits of every frame: (N, T, K, H, W)."""
        clips = []
        for n, frames in enumerate(inputs):
            samples = data_samples[n].video_data_samples \
                if data_samples is not None else \
                [SegDataSample() for _ in range(frames.shape[0])]
            clips.append(torch.cat(list(self.predict_clip(frames, samples))))
        return torch.stack(clips)

    @staticmethod
    def _check_clips(inputs: Tensor, data_samples: VideoSampleList) -> None:
        if inputs.dim() != 5:
            raise ValueError('video segmentors take (N, T, 3, H, W) inputs, '
                             f'got {tuple(inputs.shape)}')
        if data_samples is None or len(data_samples) != inputs.shape[0]:
            raise ValueError('one VideoSegDataSample is needed per clip')
        for sample in data_samples:
            if len(sample) != inputs.shape[1]:
                raise ValueError(f'a clip of {inputs.shape[1]} frames came '
                                 f'with {len(sample)} frame samples')

    @staticmethod
    def key_and_ref_index(data_samples: VideoSampleList) -> tuple:
        """The (key, reference) frame positions shared by a training batch.

        Raises:
            ValueError: samples disagree, or a sample has no key frame.
        """
        first = data_samples[0]
        key = list(first.metainfo.get('key_frames_inds', []))
        ref = list(first.metainfo.get('ref_frames_inds', []))
        for sample in data_samples[1:]:
            if list(sample.key_frames_inds) != key or list(
                    sample.ref_frames_inds) != ref:
                raise ValueError('all clips of a training batch must share '
                                 'their key/reference frame positions')
        if not key:
            raise ValueError('a training clip needs a key frame')
        return key, ref

    def key_and_ref_pair(self, inputs: Tensor,
                         data_samples: VideoSampleList) -> tuple:
        """The key frames t and reference frames (t-1, or any other offset)
        of a batch of pairs.

        Args:
            inputs: (N, T, 3, H, W) clips.
            data_samples: N ``VideoSegDataSample``.

        Returns:
            tuple: ``(key_frames, ref_frames, key)``: (N, 3, H, W) key and
            reference frames, and the position of the key frame in the
            clips.

        Raises:
            ValueError: a batch without exactly one key and one reference
                frame per clip (the message names the segmentor).
        """
        key, ref = self.key_and_ref_index(data_samples)
        if len(key) != 1 or len(ref) != 1:
            raise ValueError(f'{type(self).__name__} trains on frame pairs: '
                             'one key and one reference frame, got '
                             f'{key} and {ref}')
        return inputs[:, key[0]], inputs[:, ref[0]], key[0]
