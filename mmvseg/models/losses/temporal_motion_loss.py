# Copyright (c) mmvseg contributors. All rights reserved.
"""ETC's temporal ("motion") loss between the predictions of two frames.

Source: irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation,
``model/flow_model.py`` (``FlowModel.cal_loss``); paper: Liu, Shen, Yu,
Wang, "Efficient Semantic Video Segmentation with Per-frame Inference",
ECCV 2020.

With the flow ``F = f_{t->o}`` on frame t's grid pointing into the other
frame o (pixels, channel 0 = x, channel 1 = y) and ``W`` the bilinear
backward warp with border clamping (FlowNet2 ``Resample2d``, which is
:func:`mmvseg.models.flow.flow_warp` with ``mode='bilinear'``,
``padding='border'`` and the default exact grid, ``legacy_grid=False``)::

    M = exp(-| sum_c (I_t - W(I_o, F))_c |)               (B, 1, H, W)
    L = loss_weight * mean_{B,K,H,W} (M * S_t - M * W(S_o, F))^2

``I`` are the network inputs (ImageNet-normalised RGB), ``S`` the logits
of the main head brought to the input size (the repository upsamples them
bilinearly with ``align_corners=True`` before the loss; the caller does it
here). ``M`` enters squared, carries no gradient, and gradients reach both
logit maps. The SSP loss of :mod:`.temporal_consistency_loss` has the same
mask but a nearest, zero-padded warp, an ``align_corners=False`` grid and
``M`` outside the square; the two are kept apart on purpose.
"""
import torch
from torch import Tensor, nn

from mmvseg.models.flow import flow_warp
from mmvseg.models.utils import imagenet_normalize
from mmvseg.registry import MODELS

_WARP = dict(mode='bilinear', padding='border', legacy_grid=False)


def motion_mask(frames_t: Tensor, warped_other: Tensor,
                mode: str = 'exp_signed_sum') -> Tensor:
    """Soft validity mask from the photometric difference of two frames.

    Args:
        frames_t: (B, 3, H, W) float frame t.
        warped_other: (B, 3, H, W) float other frame warped onto t's grid.
        mode: ``'exp_signed_sum'`` -> ``exp(-|sum_c d_c|)`` (the repository:
            signed channel differences are summed first, so opposite
            changes cancel), or ``'exp_l1'`` -> ``exp(-sum_c |d_c|)``.

    Returns:
        Tensor: (B, 1, H, W) mask in (0, 1], detached from the graph.

    Raises:
        ValueError: unknown ``mode``.
    """
    diff = (frames_t - warped_other).detach()
    if mode == 'exp_signed_sum':
        return torch.exp(-diff.sum(dim=1, keepdim=True).abs())
    if mode == 'exp_l1':
        return torch.exp(-diff.abs().sum(dim=1, keepdim=True))
    raise ValueError(f'mask must be one of {TemporalMotionLoss.MASKS}, '
                     f'got {mode!r}')


def _check_shapes(logits_t: Tensor, logits_other: Tensor, frames_t: Tensor,
                  frames_other: Tensor, flow: Tensor) -> None:
    shapes = (f'logits_t {tuple(logits_t.shape)}, logits_other '
              f'{tuple(logits_other.shape)}, frames_t '
              f'{tuple(frames_t.shape)}, frames_other '
              f'{tuple(frames_other.shape)}, flow {tuple(flow.shape)}')
    tensors = (logits_t, logits_other, frames_t, frames_other, flow)
    if any(x.dim() != 4 for x in tensors):
        raise ValueError(f'expected 4-d tensors, got {shapes}')
    b, _, h, w = logits_t.shape
    if (logits_other.shape != logits_t.shape
            or frames_t.shape != (b, 3, h, w)
            or frames_other.shape != (b, 3, h, w)
            or flow.shape != (b, 2, h, w)):
        raise ValueError('expected logits (B, K, H, W) twice, frames '
                         f'(B, 3, H, W) twice and flow (B, 2, H, W), got '
                         f'{shapes}')


@MODELS.register_module()
class TemporalMotionLoss(nn.Module):
    """ETC temporal loss: masked MSE between S_t and the warped S_o.

    See the module docstring for the formula and its source.

    Args:
        loss_weight: the repository's ``st_weight`` (0.1 in
            ``config/cityscapes/cityscapes_pspnet18_flow.yaml``).
        on: ``'logits'`` (the repository) or ``'probs'`` (softmax over the
            class axis of both maps first; the other frame's probabilities
            are then warped).
        mask: ``'exp_signed_sum'`` (the repository) or ``'exp_l1'``, see
            :func:`motion_mask`.
        detach_other: stop the gradient into the other frame's logits (the
            repository lets it through: ``False``).
        loss_name: key of the loss in the losses dict (must start with
            ``loss_`` for mmengine to sum it).

    Raises:
        ValueError: unknown ``on`` or ``mask``.
    """

    ONS = ('logits', 'probs')
    MASKS = ('exp_signed_sum', 'exp_l1')

    def __init__(self,
                 loss_weight: float = 0.1,
                 on: str = 'logits',
                 mask: str = 'exp_signed_sum',
                 detach_other: bool = False,
                 loss_name: str = 'loss_tl'):
        super().__init__()
        if on not in self.ONS:
            raise ValueError(f'on must be one of {self.ONS}, got {on!r}')
        if mask not in self.MASKS:
            raise ValueError(
                f'mask must be one of {self.MASKS}, got {mask!r}')
        self.loss_weight = loss_weight
        self.on = on
        self.mask = mask
        self.detach_other = detach_other
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    @staticmethod
    def prepare_frames(frames_rgb255: Tensor) -> Tensor:
        """(B, 3, H, W) float RGB in 0-255 -> ImageNet-normalised frames,
        the space in which the repository computes the mask."""
        return imagenet_normalize(frames_rgb255)

    def forward(self, logits_t: Tensor, logits_other: Tensor,
                frames_t: Tensor, frames_other: Tensor,
                flow: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits_t: (B, K, H, W) float logits of frame t, at the frames'
                size.
            logits_other: (B, K, H, W) float logits of the other frame o.
            frames_t: (B, 3, H, W) float network input of frame t
                (ImageNet-normalised RGB, :meth:`prepare_frames`).
            frames_other: (B, 3, H, W) float network input of frame o.
            flow: (B, 2, H, W) float flow ``f_{t->o}`` in pixels (x, y);
                it gets no gradient (the repository computes it under
                ``no_grad``).

        Returns:
            Tensor: scalar loss, dtype of the logits.

        Raises:
            ValueError: tensors that are not 4-d or whose batch size,
                channels (3 for frames, 2 for flow) or spatial size do not
                match; the message names every shape.
        """
        _check_shapes(logits_t, logits_other, frames_t, frames_other, flow)
        flow = flow.detach()
        weight = motion_mask(frames_t, flow_warp(frames_other, flow, **_WARP),
                             self.mask)
        if self.detach_other:
            logits_other = logits_other.detach()
        if self.on == 'probs':
            logits_t = logits_t.softmax(dim=1)
            logits_other = logits_other.softmax(dim=1)
        warped = flow_warp(logits_other, flow, **_WARP)
        return self.loss_weight * (
            (weight * logits_t - weight * warped)**2).mean()
