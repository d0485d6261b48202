# Copyright (c) mmvseg contributors. All rights reserved.
"""NetWarp's flow transformation ("Semantic Video CNNs through Representation
Warping", Gadde et al., ICCV 2017), in the layout of
FraunhoferIVI/SSP ``models/video/models_consistency.py`` (``FlowCNN``)."""
from typing import Sequence

import torch
from mmengine.model import BaseModule
from mmengine.utils import is_tuple_of
from torch import Tensor, nn

from mmvseg.registry import MODELS


@MODELS.register_module()
class NetWarpFlowCNN(BaseModule):
    """Refine a flow field from the frames it was computed on.

    With ``f`` the flow ``f_{t->t-1}`` and ``x_t``, ``x_{t-1}`` the network
    frames (as the segmentor sees them, normalised)::

        h      = Conv3x3(11 -> 16) - ReLU - Conv3x3(16 -> 32) - ReLU
                 - Conv3x3(32 -> 2)    on cat[f, x_{t-1}, x_t, x_{t-1} - x_t]
        f_out  = Conv3x3(4 -> 2)       on cat[h, f]

    All convolutions have a bias, padding 1 and PyTorch's default
    initialisation (FraunhoferIVI/SSP ``FlowCNN``: ``conv_1``, ``conv_2``;
    6,892 parameters). The output is not a residual of ``f``: before training
    it is a random mix of the flow and the frames.

    Args:
        in_channels: channels of each frame (3).
        channels: hidden channels of the two first convolutions.
        init_cfg: mmengine initialisation config.

    Raises:
        ValueError: ``channels`` is not a pair of positive ints.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (16, 32),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(channels, (tuple, list)) or len(channels) != 2 \
                or not is_tuple_of(tuple(channels), int) or min(channels) < 1:
            raise ValueError('channels must be two positive ints, got '
                             f'{channels!r}')
        self.in_channels = in_channels
        hidden1, hidden2 = channels
        self.refine = nn.Sequential(
            nn.Conv2d(2 + 3 * in_channels, hidden1, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden1, hidden2, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden2, 2, 3, padding=1))
        self.fuse = nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, flow: Tensor, frames: Tensor,
                frames_prev: Tensor) -> Tensor:
        """The refined flow.

        Args:
            flow: (N, 2, H, W) float flow ``f_{t->t-1}`` in pixels.
            frames: (N, C, H, W) network frames t.
            frames_prev: (N, C, H, W) network frames t-1.

        Returns:
            Tensor: (N, 2, H, W) refined flow (pixels once trained).

        Raises:
            ValueError: shapes that do not match.
        """
        n, _, h, w = frames.shape
        if frames.shape != frames_prev.shape or \
                frames.shape[1] != self.in_channels or \
                tuple(flow.shape) != (n, 2, h, w):
            raise ValueError(
                f'NetWarpFlowCNN needs flow (N, 2, H, W) and two frame '
                f'batches (N, {self.in_channels}, H, W), got '
                f'{tuple(flow.shape)}, {tuple(frames.shape)} and '
                f'{tuple(frames_prev.shape)}')
        hidden = self.refine(
            torch.cat([flow, frames_prev, frames, frames_prev - frames],
                      dim=1))
        return self.fuse(torch.cat([hidden, flow], dim=1))
