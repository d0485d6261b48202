# Copyright (c) mmvseg contributors. All rights reserved.
"""Weight-free raw-pixel features: a "raw pixels (Lab)" baseline for label
propagation on the feature grid of the stride-8 ResNet of the Contrastive
Random Walk (Jabri et al., "Space-Time Correspondence as a Contrastive Random
Walk", NeurIPS 2020); the propagation itself follows ajabri/videowalk
``code/test.py``."""
import math
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from kornia.color import rgb_to_lab
from mmengine.model import BaseModule
from torch import Tensor

from mmvseg.registry import MODELS

COLOR_SPACES = ('lab', 'rgb')


@MODELS.register_module()
class RawPixelBackbone(BaseModule):
    """Pixel colours average-pooled to a feature grid; no weights.

    Input convention: the output of the data preprocessor, i.e. float RGB
    frames ``x`` with ``x * std + mean`` in [0, 255]. With mmvseg's
    ``VideoSegDataPreProcessor(bgr_to_rgb=True)`` and no ``mean``/``std``
    (no normalisation) keep the defaults ``mean=(0, 0, 0)``,
    ``std=(1, 1, 1)``; with a normalising preprocessor pass its
    ``mean``/``std`` here so the normalisation is undone.

    Computation: RGB / 255 clipped to [0, 1]; ``'lab'`` converts it to CIE
    Lab (``kornia.color.rgb_to_lab``: sRGB, D65; L in [0, 100], a and b in
    about [-128, 127]); ``'rgb'`` keeps RGB in [0, 1]. The map is then
    average-pooled to the grid ``(ceil(H / stride), ceil(W / stride))`` with
    ``F.adaptive_avg_pool2d``: for H, W multiples of ``stride`` these are the
    means of ``stride x stride`` blocks; otherwise the bins cover
    ``[floor(i H / h), ceil((i + 1) H / h))`` and stretch over the whole
    frame like the bilinear label resizes of ajabri/videowalk (frame-0
    label to the grid in ``code/data/vos.py``, predictions back to the frame
    in ``code/utils/test_utils.py`` ``dump_predictions``; 854 px -> 107
    cells). The grid is the one of the stride-8 CRW ResNet (60 x 107 cells
    for a 480 x 854 DAVIS frame).

    Args:
        color_space: ``'lab'`` (default) or ``'rgb'``.
        stride: output stride s (pixels per cell), >= 1.
        mean: per-channel RGB mean of the preprocessor (0-255 units).
        std: per-channel RGB std of the preprocessor.
        init_cfg: unused (no weights); kept for the mmengine interface.

    Shape:
        (N, 3, H, W) float -> a tuple with one (N, 3, ceil(H / s),
        ceil(W / s)) tensor of the input dtype.

    Raises:
        ValueError: an unknown colour space, a stride below 1, ``mean``/
            ``std`` without 3 values or a non-positive std; in
            :meth:`forward`, an input that is not (N, 3, H, W).
    """

    def __init__(self,
                 color_space: str = 'lab',
                 stride: int = 8,
                 mean: Sequence[float] = (0., 0., 0.),
                 std: Sequence[float] = (1., 1., 1.),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if color_space not in COLOR_SPACES:
            raise ValueError(f'color_space must be one of {COLOR_SPACES}, '
                             f'got {color_space!r}')
        if isinstance(stride, bool) or not isinstance(stride,
                                                      int) or stride < 1:
            raise ValueError(f'stride must be an int >= 1, got {stride!r}')
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError('mean and std need 3 values (std > 0), got '
                             f'{list(mean)} and {list(std)}')
        self.color_space = color_space
        self.stride = stride
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Pooled colours of frames ``x`` (N, 3, H, W), see the class doc."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError('RawPixelBackbone takes (N, 3, H, W) RGB frames, '
                             f'got shape {tuple(x.shape)}')
        rgb = ((x * self.std.to(x.dtype) + self.mean.to(x.dtype)) /
               255.).clamp(0., 1.)
        feats = rgb_to_lab(rgb) if self.color_space == 'lab' else rgb
        grid = (math.ceil(x.shape[2] / self.stride),
                math.ceil(x.shape[3] / self.stride))
        return (F.adaptive_avg_pool2d(feats, grid), )
