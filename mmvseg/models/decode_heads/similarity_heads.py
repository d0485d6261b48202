# Copyright (c) mmvseg contributors. All rights reserved.
"""SSP similarity heads: per-pixel weights alpha of the previous output.

Semantic Similarity Propagation (Vincent et al., CVPR 2025) fuses logits as
O_t = alpha * W_h(O_{t-1}) + (1 - alpha) * Z_t, with W_h the homography warp
of the previous output and Z_t the image model's logits. The heads are those
of FraunhoferIVI/SSP ``models/video/sim_layers.py``, chosen by the config key
``video_model_cfg.sim_op`` of ``config/video/*.yaml``: ``conv`` (trained, the
paper's model), ``cossim`` (``ablation_cossim.yaml``) and ``constant``
(``ablation_interpolation.yaml``). Every head maps the previous frame's
stride-4 features, already aligned to frame t, and frame t's features, both
(N, C, h, w) at the same stride, to alpha (N, 1, h, w) in [0, 1].
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvseg.registry import MODELS


@MODELS.register_module()
class ConvSimilarityHead(BaseModule):
    """``sim_op: conv``: alpha = sigmoid(conv(cat[aligned prev, current])).

    Conv3x3(2C -> channels) + BN + ReLU, Conv3x3(channels -> channels/2) + BN
    + ReLU, Conv1x1(channels/2 -> 1), sigmoid; all convolutions with bias.
    With C = channels = 96 this is the repo's ``ConvSimBlock(96)``
    (207,841 parameters).

    Args:
        in_channels: C, channels of each of the two feature maps.
        channels: hidden channels (default: ``in_channels``).
        norm_cfg: normalisation layer config.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        channels = channels or in_channels
        self.layers = nn.Sequential(
            ConvModule(
                2 * in_channels, channels, 3, padding=1, bias=True,
                norm_cfg=norm_cfg),
            ConvModule(
                channels, channels // 2, 3, padding=1, bias=True,
                norm_cfg=norm_cfg),
            nn.Conv2d(channels // 2, 1, 1))

    def forward(self, prev_feat: Tensor, feat: Tensor) -> Tensor:
        """alpha (N, 1, h, w) from aligned previous and current features."""
        return torch.sigmoid(self.layers(torch.cat([prev_feat, feat], dim=1)))


@MODELS.register_module()
class CosineSimilarityHead(nn.Module):
    """``sim_op: cossim``: alpha = min(clamp(cos, 0, 1) ** power, max_alpha).

    The cosine is taken over channels per pixel; no trainable parameters.

    Args:
        power: exponent applied to the clamped cosine (repo: 4).
        max_alpha: upper bound of alpha (repo: 0.95).
    """

    def __init__(self, power: float = 4.0, max_alpha: float = 0.95):
        super().__init__()
        self.power = power
        self.max_alpha = max_alpha

    def forward(self, prev_feat: Tensor, feat: Tensor) -> Tensor:
        cos = F.cosine_similarity(prev_feat, feat, dim=1).unsqueeze(1)
        return cos.clamp(0, 1).pow(self.power).clamp(max=self.max_alpha)


@MODELS.register_module()
class ConstantSimilarityHead(nn.Module):
    """``sim_op: constant``: alpha is one value everywhere.

    ``alpha=0`` is the "no interpolation" ablation (O_t = Z_t: no
    propagation); SSP then skips registration and warping at inference.

    Args:
        alpha: the constant weight of the previous output, in [0, 1].
    """

    def __init__(self, alpha: float = 0.0):
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        self.alpha = alpha

    def forward(self, prev_feat: Tensor, feat: Tensor) -> Tensor:
        return feat.new_full((feat.shape[0], 1, *feat.shape[2:]), self.alpha)
