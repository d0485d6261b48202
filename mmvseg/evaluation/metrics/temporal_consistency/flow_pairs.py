# Copyright (c) mmvseg contributors. All rights reserved.
"""Consecutive frame pairs compared through optical flow (``ssp``, ``etc``)."""
import inspect
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.device import get_device
from mmseg.structures import SegDataSample
from torch import Tensor

from mmvseg.registry import MODELS
from mmvseg.utils.io import read_image
from ...functional import PROTOCOL_WARP_MODES, WARP_MODES, warp_labels
from .base import (BaseTemporalConsistencyMetric, check_same_size,
                   frame_prediction)


def describe_flow(cfg: Optional[dict]) -> str:
    """Describe a flow estimator config.

    Args:
        cfg: ``MODELS`` config of a flow estimator, or None.

    Returns:
        str: e.g. ``'DISFlow(preset=medium)'``: the estimator type with its
        arguments in signature order, defaults of the registered class filled
        in; ``'none'`` for no flow.
    """
    if cfg is None:
        return 'none'
    args = dict(cfg)
    flow_type = args.pop('type')
    cls = MODELS.get(flow_type) if isinstance(flow_type, str) else flow_type
    params = {}
    if cls is not None:
        for param in inspect.signature(cls).parameters.values():
            if param.name in args:
                params[param.name] = args.pop(param.name)
            elif param.default is not param.empty and param.name != 'init_cfg':
                params[param.name] = param.default
    params.update(args)
    name = flow_type if isinstance(flow_type, str) else flow_type.__name__
    return f'{name}(' + ', '.join(f'{k}={v}' for k, v in params.items()) + ')'


def check_flow_batch_size(flow_batch_size: int) -> None:
    """Raise ``ValueError`` unless ``flow_batch_size >= 1``."""
    if flow_batch_size < 1:
        raise ValueError(
            f'flow_batch_size must be >= 1, got {flow_batch_size}')


class FlowPairTemporalConsistencyMetric(BaseTemporalConsistencyMetric):
    """Base of the protocols that compare every frame t of a clip with the
    prediction of frame t+1 warped onto t by the flow ``f_{t->t+1}``.

    :meth:`warped_pairs` yields ``(P_t, W(P_{t+1}, f_{t->t+1}))`` for every
    consecutive pair of a clip; subclasses score and pool them. The flow
    ``f_{t->t+1}`` lives on frame t's grid and points into frame t+1, so
    ``W(P_{t+1}, f)(p) = P_{t+1}(p + f(p))`` (backward warping,
    :func:`~mmvseg.evaluation.functional.warp_labels`).

    Frames are read from their ``img_path`` (decoded BGR, handed to the flow
    estimator as RGB 0–255 uint8 CPU tensors), ``flow_batch_size`` pairs at a
    time; an estimator that is an ``nn.Module`` is moved to mmengine's
    ``get_device()`` (GPU when available) and set to eval mode.

    Args:
        flow: config of the flow estimator (``MODELS``), called as
            ``estimator(frames_t, frames_s, paths_t=...) -> f_{t->s}`` with
            (B, 3, H, W) uint8 frames and a list of B paths, returning a
            (B, 2, H, W) flow in pixels. Defaults to ``dict(type='DISFlow')``.
        warp_mode: one of :data:`~mmvseg.evaluation.functional.WARP_MODES`
            (see :func:`~mmvseg.evaluation.functional.warp_labels`); None for
            the protocol default
            (:data:`~mmvseg.evaluation.functional.PROTOCOL_WARP_MODES`).
        flow_batch_size: frame pairs sent to the flow estimator at once.
        ignore_index: warped label value left out of the scores.
        num_classes: K, how many labels a prediction may take; defaults to
            the number of dataset classes. Set it to the model's output count
            when the model predicts extra labels (e.g. ESPNet's 12th output,
            CamVid "void"): such labels then count like classes.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'tc_<protocol>'``.

    Raises:
        ValueError: unknown ``warp_mode``, ``flow_batch_size < 1``.
    """

    score_keys = ('TC', )

    def __init__(self,
                 flow: Optional[dict] = None,
                 warp_mode: Optional[str] = None,
                 flow_batch_size: int = 4,
                 ignore_index: int = 255,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        flow = dict(type='DISFlow') if flow is None else flow
        warp_mode = warp_mode or PROTOCOL_WARP_MODES[self.protocol]
        if warp_mode not in WARP_MODES:
            raise ValueError(f'warp_mode must be one of {WARP_MODES}, '
                             f'got {warp_mode!r}')
        check_flow_batch_size(flow_batch_size)
        self.flow_cfg = flow
        self.warp_mode = warp_mode
        self.flow_batch_size = flow_batch_size
        self.ignore_index = ignore_index
        self.num_classes = num_classes
        self.flow_estimator = MODELS.build(flow)
        if isinstance(self.flow_estimator, torch.nn.Module):
            self.flow_estimator.to(get_device()).eval()

    @property
    def label_count(self) -> int:
        """K: ``num_classes`` or the number of dataset classes."""
        return self.num_classes or len(self.dataset_meta['classes'])

    @property
    def info(self) -> Dict[str, str]:
        """How the numbers are made: protocol, warp mode, flow estimator."""
        return dict(
            super().info,
            TC_warp_mode=self.warp_mode,
            TC_flow=describe_flow(self.flow_cfg))

    def warped_pairs(
        self, frames: List[SegDataSample]
    ) -> Iterator[Tuple[Tensor, Tensor]]:
        """Yield ``(P_t, W_t)`` for t = 0 … T-2 of one clip.

        ``P_t`` is the (H, W) int64 prediction of frame t and ``W_t`` the
        prediction of frame t+1 warped onto frame t with ``f_{t->t+1}`` and
        :attr:`warp_mode`, (H, W) int64, both on the CPU. A clip of one frame
        yields nothing (but is checked).

        Args:
            frames: frames with ``pred_sem_seg`` (1, H, W) at original size
                and ``img_path``, in temporal order.

        Raises:
            ValueError: a frame without prediction, prediction values outside
                ``[0, K)``, predictions of different sizes, an image whose
                size differs from its prediction, or a flow of the wrong
                shape.
        """
        num_classes = self.label_count
        preds = [frame_prediction(frame) for frame in frames]
        paths = [frame.img_path for frame in frames]
        check_same_size(frames, preds)
        for path, pred in zip(paths, preds):
            if pred.numel() and (pred.min() < 0 or pred.max() >= num_classes):
                raise ValueError(
                    f'{path}: prediction values outside [0, {num_classes})')
        if len(frames) < 2:
            return
        for start, flow in self._pair_flows(paths, tuple(preds[0].shape)):
            nxt = torch.stack(preds[start + 1:start + 1 + len(flow)])
            warped = warp_labels(nxt.to(flow.device), flow, self.warp_mode)
            yield from zip(preds[start:], warped.cpu())

    def _read_rgb(self, path: str, hw: Tuple[int, int]) -> Tensor:
        """(3, H, W) uint8 RGB frame, checked against the prediction size."""
        img = read_image(path)
        if img.shape[:2] != tuple(hw):
            raise ValueError(
                f'{path}: image size {img.shape[:2]} (H, W) differs from the '
                f'size of its prediction {tuple(hw)}')
        return torch.from_numpy(np.ascontiguousarray(img[..., ::-1])).permute(
            2, 0, 1)

    def _pair_flows(self, paths: List[str],
                    hw: Tuple[int, int]) -> Iterator[Tuple[int, Tensor]]:
        """Yield ``(start, f)`` with ``f`` (B, 2, H, W) = ``f_{t->t+1}`` for
        t = start … start+B-1, at most ``flow_batch_size`` pairs at once."""
        images = [self._read_rgb(paths[0], hw)]
        for start in range(0, len(paths) - 1, self.flow_batch_size):
            stop = min(start + self.flow_batch_size, len(paths) - 1)
            images = images[-1:] + [
                self._read_rgb(paths[t], hw)
                for t in range(start + 1, stop + 1)
            ]
            batch = torch.stack(images)
            with torch.no_grad():
                flow = self.flow_estimator(
                    batch[:-1], batch[1:], paths_t=paths[start:stop])
            expected = (stop - start, 2, *hw)
            if tuple(flow.shape) != expected:
                raise ValueError(
                    f'{paths[start]}: flow estimator '
                    f'{describe_flow(self.flow_cfg)} returned shape '
                    f'{tuple(flow.shape)}, expected {expected}')
            yield start, flow
