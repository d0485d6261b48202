# Copyright (c) mmvseg contributors. All rights reserved.
"""SAM2 Hiera image encoder trunk as an mmseg backbone, built with timm.

The SSP image models (Vincent et al., "High Temporal Consistency through
Semantic Similarity Propagation in Semi-Supervised Video Semantic Segmentation
for Autonomous Flight", CVPR 2025; FraunhoferIVI/SSP ``models/image/hiera.py``
and ``models/image/models.py`` ``HieraSamUpernetImageModel``) use the Hiera
trunk of SAM 2 (Ravi et al., 2024; ``facebookresearch/sam2``
``sam2/modeling/backbones/hieradet.py`` ``Hiera``) with all four stage
outputs (strides 4, 8, 16, 32) feeding an UPerNet head. timm's
``timm/models/hieradet_sam2.py`` ``HieraDet`` is the same network (same
hyper-parameters and, up to the MLP names, the same parameter names), so the
backbone is a thin wrapper around
``timm.create_model(arch, features_only=True, out_indices=(0, 1, 2, 3))``.
"""
import math
from typing import Dict, Optional, Tuple, Union

import timm
from mmengine.model import BaseModule
from torch import Tensor

from mmvseg.registry import MODELS

#: Supported timm model names -> (stage channels, blocks per stage).
HIERA_ARCHS: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
    'sam2_hiera_small': ((96, 192, 384, 768), (1, 2, 11, 2)),
    'sam2_hiera_base_plus': ((112, 224, 448, 896), (2, 3, 16, 3)),
}
#: Prefix of the timm parameter names inside :class:`SAM2Hiera`
#: (``trunk`` is the timm ``FeatureGetterNet``, ``model`` its ``HieraDet``).
TIMM_PREFIX = 'trunk.model.'
# The patch embedding (7x7 conv, stride 4, padding 3) gives a ceil(size / 4)
# token grid on which the 8x8 window position embedding is tiled.
_PATCH_STRIDE = 4
_POS_WINDOW = 8


@MODELS.register_module()
class SAM2Hiera(BaseModule):
    """SAM2 Hiera trunk returning the last block of each of its 4 stages.

    Architecture (``timm`` ``sam2_hiera_small`` / ``sam2_hiera_base_plus``,
    as in FraunhoferIVI/SSP ``models/image/hiera.py``; the small trunk is
    SSP's student, base-plus its KD teacher): 7x7 stride-4 patch embedding,
    a global position embedding resized bicubically to the token grid plus a
    tiled 8x8 window embedding, then windowed / global multi-scale attention
    blocks with 2x2 query max-pooling at each stage change, where width and
    number of heads double.

    ==================== ============ ==================== ==========
    arch                 blocks       channels             parameters
    ==================== ============ ==================== ==========
    sam2_hiera_small     1, 2, 11, 2  96, 192, 384, 768    33.947 M
    sam2_hiera_base_plus 2, 3, 16, 3  112, 224, 448, 896   68.676 M
    ==================== ============ ==================== ==========

    Weights: convert the original SAM2 checkpoint (``sam2_hiera_small.pt``,
    ``sam2_hiera_base_plus.pt``) with
    ``tools/model_converters/sam2_hiera2mmvseg.py`` and load it with
    ``init_cfg=dict(type='Pretrained', checkpoint=PATH, prefix='backbone.')``
    (or as part of a whole segmentor checkpoint). The parameter names are
    those of the timm model under the prefix ``trunk.model.``.

    Input size: the token grid ceil(H / 4) x ceil(W / 4) must be a multiple
    of 8 in both directions (the window position embedding is tiled over
    it), i.e. H and W in (32k - 4, 32k] for an integer k >= 1; multiples of
    32 (e.g. 736 x 1280, 736 x 736, 64 x 96) give the exact strides
    4, 8, 16, 32. The smallest input is 29 x 29.

    Args:
        arch: ``'sam2_hiera_small'`` (Hiera-S) or
            ``'sam2_hiera_base_plus'`` (Hiera-B+).
        drop_path_rate: stochastic depth rate of the last block (linearly
            increasing from 0 over the blocks, timm rule); 0 in the paper.
        frozen: if True, all parameters get ``requires_grad=False`` and the
            module stays in eval mode (no stochastic depth) under
            :meth:`train`.
        init_cfg: mmengine initialisation config, e.g. the ``Pretrained``
            config above; ``None`` keeps timm's random initialisation.

    Shape:
        (N, 3, H, W) float (normalised RGB) -> a tuple of 4 tensors
        (N, C_i, ceil(H / s_i), ceil(W / s_i)), strides s = (4, 8, 16, 32),
        channels C from the table, dtype of the input.

    Raises:
        ValueError: an unknown ``arch`` or a negative / >= 1
            ``drop_path_rate``; in :meth:`forward`, an input that is not
            (N, 3, H, W) or whose size breaks the constraint above.
    """

    def __init__(self,
                 arch: str = 'sam2_hiera_small',
                 drop_path_rate: float = 0.0,
                 frozen: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in HIERA_ARCHS:
            raise ValueError(f'arch must be one of {sorted(HIERA_ARCHS)}, '
                             f'got {arch!r}')
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError('drop_path_rate must be in [0, 1), got '
                             f'{drop_path_rate!r}')
        self.arch = arch
        self.frozen = frozen
        self.trunk = timm.create_model(
            arch,
            pretrained=False,
            features_only=True,
            out_indices=(0, 1, 2, 3),
            drop_path_rate=drop_path_rate)
        self.out_channels: Tuple[int, ...] = tuple(
            self.trunk.feature_info.channels())
        self.strides: Tuple[int, ...] = tuple(
            self.trunk.feature_info.reduction())
        if frozen:
            self.requires_grad_(False)
            self.eval()

    @staticmethod
    def check_input_size(height: int, width: int) -> None:
        """Raise ``ValueError`` if an (H, W) input cannot go through Hiera.

        Valid sizes have ceil(size / 4) divisible by 8 (see the class doc).
        """
        for name, size in (('height', height), ('width', width)):
            grid = math.ceil(size / _PATCH_STRIDE)
            if size < 1 or grid % _POS_WINDOW:
                raise ValueError(
                    f'SAM2Hiera cannot take an input {name} of {size} px: '
                    f'ceil({name} / {_PATCH_STRIDE}) = {grid} tokens must be '
                    f'a positive multiple of {_POS_WINDOW}; use multiples '
                    'of 32 (e.g. 736x1280), pad (data preprocessor '
                    'size_divisor=32) or resize the input')

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Stage features of images ``x`` (N, 3, H, W), see the class doc."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError('SAM2Hiera takes (N, 3, H, W) images, got '
                             f'shape {tuple(x.shape)}')
        self.check_input_size(x.shape[2], x.shape[3])
        return tuple(self.trunk(x))

    def train(self, mode: bool = True) -> 'SAM2Hiera':
        """Set the train mode; a ``frozen`` backbone always stays in eval."""
        return super().train(mode and not self.frozen)
