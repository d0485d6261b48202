# Copyright (c) mmvseg contributors. All rights reserved.
import torch
from torch import Tensor, nn

from mmvseg.models.flow import flow_warp
from mmvseg.models.utils import imagenet_normalize
from mmvseg.registry import MODELS


@MODELS.register_module()
class TemporalConsistencyLoss(nn.Module):
    """Flow-warped, photometrically weighted MSE between logits of t and t-1.

    FraunhoferIVI/SSP ``utils/losses.py`` ``TempConstLoss``: with ``f = f_{t->t-1}`` (flow on frame t's grid
    pointing into t-1),

        M   = exp(-| sum_c (x_t - W(x_{t-1}, f))_c |)      (N, 1, H, W)
        L   = loss_weight * mean_{N,K,H,W} M * (O_t - W(Z_{t-1}, f))^2

    where ``x`` are the frames in the space ``frame_mode`` names (the
    repository weighs with its network inputs, ImageNet-normalised RGB),
    ``O_t`` the output logits of frame t, ``Z_{t-1}`` the logits of frame
    t-1 and ``W`` the nearest backward warp of the repo (legacy grid, zero
    padding). Gradients reach both logit maps; ``M`` depends on the frames
    only. Any segmentor can use it: :meth:`prepare_frames` turns RGB 0-255
    frames (``VideoSegDataPreProcessor.denormalize``) into ``frame_mode``.

    Args:
        loss_weight: lambda (the repo's ``const_loss_lb``, 0.5 for SSP).
        legacy_grid: warp with the repo's ``align_corners=False`` grid
            (default, faithful) or the exact ``align_corners=True`` grid of
            :func:`mmvseg.models.flow.flow_warp`.
        frame_mode: the space of the frames that weigh the pixels:
            ``'imagenet'`` (ImageNet-normalised RGB, the repository) or
            ``'rgb255'`` (RGB in 0-255).
        loss_name: key of the loss in the losses dict (must start with
            ``loss_`` to be summed by mmengine).

    Raises:
        ValueError: unknown ``frame_mode``.
    """

    FRAME_MODES = ('imagenet', 'rgb255')

    def __init__(self,
                 loss_weight: float = 0.5,
                 legacy_grid: bool = True,
                 frame_mode: str = 'imagenet',
                 loss_name: str = 'loss_tc'):
        super().__init__()
        if frame_mode not in self.FRAME_MODES:
            raise ValueError(f'frame_mode must be one of {self.FRAME_MODES}, '
                             f'got {frame_mode!r}')
        self.loss_weight = loss_weight
        self.legacy_grid = legacy_grid
        self.frame_mode = frame_mode
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def prepare_frames(self, frames_rgb255: Tensor) -> Tensor:
        """(N, 3, H, W) float RGB in 0-255 -> frames in ``frame_mode``."""
        if self.frame_mode == 'imagenet':
            return imagenet_normalize(frames_rgb255)
        return frames_rgb255

    def forward(self, logits_t: Tensor, logits_prev: Tensor, flow: Tensor,
                frames_t: Tensor, frames_prev: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits_t: (N, K, H, W) logits of frame t (fused output O_t).
            logits_prev: (N, K, H, W) logits of frame t-1 (Z_{t-1}).
            flow: (N, 2, H, W) flow f_{t->t-1} in pixels.
            frames_t: (N, 3, H, W) frame t in ``frame_mode``
                (:meth:`prepare_frames`).
            frames_prev: (N, 3, H, W) frame t-1, likewise.

        Returns:
            Tensor: scalar loss.
        """
        warp = dict(mode='nearest', padding='zeros',
                    legacy_grid=self.legacy_grid)
        warped_frame = flow_warp(frames_prev, flow, **warp)
        weight = torch.exp(-(frames_t - warped_frame).sum(
            dim=1, keepdim=True).abs())
        warped_logits = flow_warp(logits_prev, flow, **warp)
        return self.loss_weight * (weight *
                                   (logits_t - warped_logits)**2).mean()
