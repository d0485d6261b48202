# Copyright (c) mmvseg contributors. All rights reserved.
import torch
from torch import Tensor, nn

from mmvseg.models.flow import flow_warp
from mmvseg.registry import MODELS

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def imagenet_normalize(frames_rgb255: Tensor) -> Tensor:
    """(N, 3, H, W) RGB in 0-255 -> ImageNet-normalised RGB."""
    mean = frames_rgb255.new_tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = frames_rgb255.new_tensor(IMAGENET_STD).reshape(1, 3, 1, 1)
    return (frames_rgb255 - mean) / std


@MODELS.register_module()
class TemporalConsistencyLoss(nn.Module):
    """Flow-warped, photometrically weighted MSE between logits of t and t-1.

    FraunhoferIVI/SSP ``utils/losses.py`` ``TempConstLoss`` (methods.md §1.4):
    with ``f = f_{t->t-1}`` (flow on frame t's grid pointing into t-1),

        M   = exp(-| sum_c (x_t - W(x_{t-1}, f))_c |)      (N, 1, H, W)
        L   = loss_weight * mean_{N,K,H,W} M * (O_t - W(Z_{t-1}, f))^2

    where ``x`` are ImageNet-normalised RGB frames (the repo's network
    inputs), ``O_t`` the output logits of frame t, ``Z_{t-1}`` the logits of
    frame t-1 and ``W`` the nearest backward warp of the repo (legacy grid,
    zero padding). Gradients reach both logit maps; ``M`` depends on the
    frames only. Any segmentor can use it.

    Args:
        loss_weight: lambda (the repo's ``const_loss_lb``, 0.5 for SSP).
        legacy_grid: warp with the repo's ``align_corners=False`` grid
            (default, faithful) or the exact grid of design.md §4.
        loss_name: key of the loss in the losses dict (must start with
            ``loss_`` to be summed by mmengine).
    """

    def __init__(self,
                 loss_weight: float = 0.5,
                 legacy_grid: bool = True,
                 loss_name: str = 'loss_tc'):
        super().__init__()
        self.loss_weight = loss_weight
        self.legacy_grid = legacy_grid
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, logits_t: Tensor, logits_prev: Tensor, flow: Tensor,
                frames_t: Tensor, frames_prev: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits_t: (N, K, H, W) logits of frame t (fused output O_t).
            logits_prev: (N, K, H, W) logits of frame t-1 (Z_{t-1}).
            flow: (N, 2, H, W) flow f_{t->t-1} in pixels.
            frames_t: (N, 3, H, W) ImageNet-normalised RGB frame t.
            frames_prev: (N, 3, H, W) ImageNet-normalised RGB frame t-1.

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
