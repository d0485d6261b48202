# Copyright (c) mmvseg contributors. All rights reserved.
"""Optical-flow estimators behind one interface.

Every estimator maps two frame batches to the backward flow ``f_{t->s}``:

    flow = estimator(frames_t, frames_s)       # (N, 2, H, W) float32, pixels
    flow_warp(x_s, flow) ~ x_t                 # brings frame s onto frame t

Frames are (N, 3, H, W) **RGB** in 0-255 (uint8 or float). Channel 0 of the
flow is x (columns), channel 1 is y (rows). The flow is computed without
gradients and returned on the device of ``frames_t``.
"""
import logging
import os.path as osp
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch import Tensor
from torchvision.models.optical_flow import raft_large, raft_small

from mmvseg.registry import MODELS
from mmvseg.utils import read_flow


def _check_frames(frames_t: Tensor, frames_s: Tensor) -> None:
    if frames_t.dim() != 4 or frames_t.size(1) != 3:
        raise ValueError('frames must have shape (N, 3, H, W), got '
                         f'{tuple(frames_t.shape)}')
    if frames_t.shape != frames_s.shape:
        raise ValueError(
            'frames_t and frames_s must have the same shape, got '
            f'{tuple(frames_t.shape)} and {tuple(frames_s.shape)}')


def rgb_to_gray_uint8(frame: Tensor) -> np.ndarray:
    """(3, H, W) RGB 0-255 tensor -> (H, W) uint8 gray (OpenCV weights).

    Float values are rounded and clipped to [0, 255].
    """
    rgb = frame.detach().permute(1, 2, 0).cpu()
    if rgb.dtype != torch.uint8:
        rgb = rgb.float().round().clamp(0, 255).to(torch.uint8)
    return cv2.cvtColor(np.ascontiguousarray(rgb.numpy()), cv2.COLOR_RGB2GRAY)


class BaseFlowEstimator(BaseModule):
    """Base class: ``forward(frames_t, frames_s, paths_t) -> f_{t->s}``.

    Frozen by default: the flow is computed under ``no_grad``. A network
    estimator built with ``trainable=True`` (DFF and NetWarp train RAFT end
    to end) computes it with gradients and follows the train/eval mode of
    its owner.

    Args:
        trainable: compute the flow with gradients (estimators with
            parameters only; the others take no such argument).
    """

    def __init__(self, trainable: bool = False) -> None:
        super().__init__()
        self.trainable = trainable

    def forward(self,
                frames_t: Tensor,
                frames_s: Tensor,
                paths_t: Optional[Sequence[str]] = None) -> Tensor:
        """Estimate the backward flow from frame t into frame s.

        Args:
            frames_t: (N, 3, H, W) RGB frames t, uint8 or float in 0-255.
            frames_s: (N, 3, H, W) RGB frames s, same shape and range.
            paths_t: image paths of frames t (used by :class:`FileFlow`
                only).

        Returns:
            Tensor: (N, 2, H, W) float32 ``f_{t->s}`` in pixels on the grid of
            frame t, on the device of ``frames_t``; differentiable only when
            ``trainable``.

        Raises:
            ValueError: the frames are not (N, 3, H, W) of the same shape.
        """
        _check_frames(frames_t, frames_s)
        with torch.set_grad_enabled(self.trainable
                                    and torch.is_grad_enabled()):
            flow = self.estimate(frames_t, frames_s, paths_t)
        flow = flow.to(device=frames_t.device, dtype=torch.float32)
        return flow.contiguous()

    def estimate(self, frames_t: Tensor, frames_s: Tensor,
                 paths_t: Optional[Sequence[str]]) -> Tensor:
        """Subclass hook: the flow for checked inputs (under ``no_grad``
        unless trainable)."""
        raise NotImplementedError


@MODELS.register_module()
class DISFlow(BaseFlowEstimator):
    """Dense Inverse Search flow (Kroeger et al., ECCV 2016) via OpenCV.

    ``cv2.DISOpticalFlow_create(preset).calc(gray_t, gray_s)`` on uint8 gray
    frames (``cv2.COLOR_RGB2GRAY``), one pair at a time on the CPU. Needs no
    weights; the package's default estimator.

    Args:
        preset: ``'ultrafast'``, ``'fast'`` or ``'medium'`` (OpenCV presets).

    Raises:
        ValueError: unknown preset; frames smaller than 12x12 pixels (on
            which OpenCV raises or crashes).
    """

    MIN_SIZE = 12
    PRESETS = {
        'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
        'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
        'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    }

    def __init__(self, preset: str = 'medium') -> None:
        super().__init__()
        if preset not in self.PRESETS:
            raise ValueError(f'preset must be one of {tuple(self.PRESETS)}, '
                             f'got {preset!r}')
        self.preset = preset

    def estimate(self, frames_t: Tensor, frames_s: Tensor,
                 paths_t: Optional[Sequence[str]]) -> Tensor:
        if min(frames_t.shape[2:]) < self.MIN_SIZE:
            raise ValueError(
                f'DISFlow needs frames of at least {self.MIN_SIZE}x'
                f'{self.MIN_SIZE} pixels, got {tuple(frames_t.shape[2:])} '
                '(OpenCV fails or crashes on smaller ones)')
        # A fresh OpenCV object per call keeps the module picklable.
        dis = cv2.DISOpticalFlow_create(self.PRESETS[self.preset])
        flows = [
            dis.calc(rgb_to_gray_uint8(ft), rgb_to_gray_uint8(fs), None)
            for ft, fs in zip(frames_t, frames_s)
        ]
        return torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)


@MODELS.register_module()
class RAFTFlow(BaseFlowEstimator):
    """RAFT (Teed & Deng, ECCV 2020) via torchvision, frozen, eval mode.

    ``torchvision.models.optical_flow.raft_large`` / ``raft_small`` built
    without downloading (``weights=None``); trained weights come from a local
    file. RAFT(image1 = t, image2 = s) returns ``f_{t->s}``. Frames whose H or
    W is not a multiple of 8 are padded (replicate, split between both sides
    as RAFT's ``InputPadder``) and the flow is cropped back. The last of the
    ``num_flow_updates`` predictions is returned.

    Args:
        variant: ``'large'`` (5.26 M parameters) or ``'small'`` (0.99 M).
        checkpoint: local path to a torchvision-layout state dict (optionally
            under a ``'state_dict'`` key), loaded strictly; e.g. torchvision's
            ``Raft_Large_Weights.C_T_V1`` file, the port of the original
            ``raft-things.pth``. None keeps random weights (warning).
        num_flow_updates: refinement iterations (20 in FraunhoferIVI/SSP).
        trainable: train RAFT with its owner (gradients, train mode),
            as DFF and NetWarp do; frozen in eval mode otherwise.
        input_mode: ``'rgb255'`` feeds ``2 * x / 255 - 1`` as torchvision
            expects; ``'repo_normalized'`` feeds ImageNet-normalised RGB
            (``(x / 255 - mean) / std``) as FraunhoferIVI/SSP does
            (``utils/losses.py`` feeds RAFT its network inputs).

    Raises:
        ValueError: unknown variant or input mode.
        FileNotFoundError: ``checkpoint`` does not exist.
        RuntimeError: the checkpoint keys/shapes do not match the variant.
    """

    BUILDERS = {'large': raft_large, 'small': raft_small}
    INPUT_MODES = ('rgb255', 'repo_normalized')

    def __init__(self,
                 variant: str = 'large',
                 checkpoint: Optional[str] = None,
                 num_flow_updates: int = 20,
                 input_mode: str = 'rgb255',
                 trainable: bool = False) -> None:
        super().__init__(trainable=trainable)
        if variant not in self.BUILDERS:
            raise ValueError(f'variant must be one of {tuple(self.BUILDERS)}, '
                             f'got {variant!r}')
        if input_mode not in self.INPUT_MODES:
            raise ValueError(f'input_mode must be one of {self.INPUT_MODES}, '
                             f'got {input_mode!r}')
        self.num_flow_updates = num_flow_updates
        self.input_mode = input_mode
        self.model = self.BUILDERS[variant](weights=None, progress=False)
        if checkpoint is None:
            print_log(
                f'RAFTFlow({variant!r}) has no checkpoint: its weights are '
                'random and its flow is meaningless', 'current',
                logging.WARNING)
        else:
            self.model.load_state_dict(self._load_state_dict(checkpoint))
        if not trainable:
            self.model.requires_grad_(False)
            self.model.eval()

    @staticmethod
    def _load_state_dict(path: str) -> dict:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: RAFT checkpoint not found')
        state = torch.load(path, map_location='cpu', weights_only=True)
        return state.get('state_dict', state)

    def train(self, mode: bool = True) -> 'RAFTFlow':
        """Follow ``mode`` when trainable; otherwise stay in eval mode."""
        super().train(mode)
        if not self.trainable:
            self.model.eval()
        return self

    def _prepare(self, frames: Tensor) -> Tensor:
        x = frames.float() / 255
        if self.input_mode == 'rgb255':
            return 2 * x - 1
        mean = x.new_tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
        std = x.new_tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
        return (x - mean) / std

    @staticmethod
    def _padding(h: int, w: int) -> Tuple[int, int, int, int]:
        pad_h, pad_w = -h % 8, -w % 8
        return (pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                pad_h - pad_h // 2)

    def estimate(self, frames_t: Tensor, frames_s: Tensor,
                 paths_t: Optional[Sequence[str]]) -> Tensor:
        device = next(self.model.parameters()).device
        h, w = frames_t.shape[2:]
        pad = self._padding(h, w)
        image1 = F.pad(self._prepare(frames_t.to(device)), pad, 'replicate')
        image2 = F.pad(self._prepare(frames_s.to(device)), pad, 'replicate')
        flow = self.model(image1, image2, self.num_flow_updates)[-1]
        left, top = pad[0], pad[2]
        return flow[:, :, top:top + h, left:left + w]


@MODELS.register_module()
class FileFlow(BaseFlowEstimator):
    """Precomputed flow read from Middlebury ``.flo`` or NumPy ``.npy`` files.

    The flow of frame t (image ``<video>/<stem>.<ext>``) is read from
    ``<flow_root>/<video>/<stem><suffix>``, ``<video>`` being the name of the
    folder that holds the image. Each file holds ``f_{t->t+1}`` (H, W, 2) in
    pixels, so this estimator is only valid for consecutive pairs
    ``s = t + 1``; ``frames_s`` is not read.

    Args:
        flow_root: root folder of the flow files.
        suffix: ``'.flo'`` or ``'.npy'``.

    Raises:
        ValueError: (forward) ``paths_t`` is None or its length is not N;
            a file has the wrong magic number, is truncated, or its size
            differs from the frames (the message starts with the path).
        FileNotFoundError: (forward) a flow file is missing.
    """

    def __init__(self, flow_root: str, suffix: str = '.flo') -> None:
        super().__init__()
        self.flow_root = flow_root
        self.suffix = suffix

    def flow_path(self, image_path: str) -> str:
        """Flow file of the frame stored at ``image_path``."""
        video = osp.basename(osp.dirname(image_path))
        stem = osp.splitext(osp.basename(image_path))[0]
        return osp.join(self.flow_root, video, stem + self.suffix)

    def estimate(self, frames_t: Tensor, frames_s: Tensor,
                 paths_t: Optional[Sequence[str]]) -> Tensor:
        n, _, h, w = frames_t.shape
        if paths_t is None:
            raise ValueError('FileFlow needs paths_t (the image paths of '
                             'frames t) to find the flow files')
        if len(paths_t) != n:
            raise ValueError(f'FileFlow got {len(paths_t)} paths for {n} '
                             'frames')
        flows = [
            read_flow(self.flow_path(p), expected_hw=(h, w)) for p in paths_t
        ]
        return torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)
