# Copyright (c) mmvseg contributors. All rights reserved.
"""The stride-8 ResNet encoder of Contrastive Random Walk (CRW; Jabri et
al., "Space-Time Correspondence as a Contrastive Random Walk", NeurIPS 2020)
used for label propagation, and the ResNet-50 encoders that CatMAE (minhoooo1/
CatMAE ``downstream/davis2017-seg/code/utils/__init__.py`` ``make_encoder``)
compares with it: 256 (ResNet-18) or 1024 (ResNet-50) channels at stride 8.

Source: ajabri/videowalk ``code/resnet.py`` (``ResNet.modify``) and
``code/utils/__init__.py`` (``make_encoder``). The torchvision ResNet is
modified there after construction: every Conv2d of layer3 and layer4 gets
stride 1 (no dilation), layer4/fc/avgpool are removed for testing, and model
type ``scratch`` switches every padded Conv2d to reflect padding. Here the
same network is mmseg's :class:`mmseg.models.backbones.ResNet` with three
stages and strides (1, 2, 1); the parameter names are torchvision's
(``conv1``, ``bn1``, ``layerX.Y.conv1``, ``layerX.Y.downsample.0`` ...).
"""
from typing import Optional, Sequence

from mmseg.models.backbones import ResNet
from torch import nn

from mmvseg.registry import MODELS

PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


@MODELS.register_module()
class CRWResNet(ResNet):
    """ResNet up to layer3 at output stride 8, as the CRW/videowalk encoder.

    Architecture: plain 7x7 stride-2 stem + 3x3 stride-2 max pool, then
    layer1 (stride 1), layer2 (stride 2) and layer3 (stride 1, no dilation);
    layer4 is not built. ``style='pytorch'`` puts a stage's stride into the
    3x3 conv (``conv2`` of a Bottleneck, ``conv1`` of a BasicBlock) and the
    1x1 downsample conv, like torchvision. Every conv rounds its output size
    up (``floor((n - 1) / 2) + 1``), so an (H, W) frame gives the grid
    ``(ceil(H / 8), ceil(W / 8))``: 480x854 -> 60x107, 480x880 -> 60x110.

    ``padding_mode`` is set on every ``nn.Conv2d`` with non-zero padding
    after the network is built (the 7x7 stem conv and all 3x3 convs; the 1x1
    convs have none); the max pool keeps its own implicit -inf padding.
    ``'reflect'`` reproduces videowalk model type ``scratch`` (CatMAE's
    ``crw``), the weights of videowalk ``pretrained.pth``; ``'zeros'`` gives
    ``scratch_zeropad`` / ``imagenet18`` and CatMAE's ResNet-50 variants
    (``imagenet50``, ``simsiam``, ``mocov2``, ``dino_r50``, ``vfs``), whose
    Bottleneck layer3 gets stride 1 in its 3x3 conv and downsample.

    Config of the CRW encoder: ``dict(type='CRWResNet', depth=18,
    padding_mode='reflect')``; ResNet-50 (ImageNet, MoCo v2, SimSiam,
    DINO): ``dict(type='CRWResNet', depth=50)``. Weights come from
    ``tools/model_converters/crw2mmvseg.py``.

    Args:
        depth: ResNet depth, one of 18, 34, 50, 101, 152.
        padding_mode: padding of the padded convs, one of ``'zeros'``
            (default), ``'reflect'``, ``'replicate'``, ``'circular'``.
        out_indices: stages to output, a subset of (0, 1, 2) (layer1 at
            stride 4, layer2 and layer3 at stride 8); default layer3 only.
        norm_eval: keep BatchNorm layers in eval mode (running statistics)
            even in ``train()``; default True, as in the reference test.
        frozen_stages: stages whose parameters are frozen (-1: none).
        norm_cfg: normalization layer config (BN in the reference).
        with_cp: use checkpointing in the residual blocks.
        init_cfg: mmengine initialization config (mmseg's default Kaiming /
            constant initialization when None).

    Shape:
        (N, 3, H, W) float -> a tuple with one tensor per ``out_indices``
        entry; layer3 is (N, C, ceil(H / 8), ceil(W / 8)) with C = 256 for
        depth 18/34 and C = 1024 for depth 50/101/152, same dtype.

    Raises:
        ValueError: an unknown depth or padding mode, or ``out_indices``
            outside (0, 1, 2).
    """

    def __init__(self,
                 depth: int = 18,
                 padding_mode: str = 'zeros',
                 out_indices: Sequence[int] = (2, ),
                 norm_eval: bool = True,
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        if depth not in self.arch_settings:
            raise ValueError(f'CRWResNet depth must be one of '
                             f'{sorted(self.arch_settings)}, got {depth!r}')
        if padding_mode not in PADDING_MODES:
            raise ValueError(f'padding_mode must be one of {PADDING_MODES}, '
                             f'got {padding_mode!r}')
        out_indices = tuple(out_indices)
        if not out_indices or not set(out_indices) <= {0, 1, 2}:
            raise ValueError('out_indices must be a non-empty subset of '
                             f'(0, 1, 2) (layer1..layer3), got {out_indices}')
        super().__init__(
            depth=depth,
            num_stages=3,
            strides=(1, 2, 1),
            dilations=(1, 1, 1),
            out_indices=out_indices,
            style='pytorch',
            deep_stem=False,
            avg_down=False,
            frozen_stages=frozen_stages,
            norm_cfg=norm_cfg,
            norm_eval=norm_eval,
            with_cp=with_cp,
            init_cfg=init_cfg)
        self.padding_mode = padding_mode
        for module in self.modules():
            if isinstance(module, nn.Conv2d) and any(module.padding):
                module.padding_mode = padding_mode

    def train(self, mode: bool = True) -> 'CRWResNet':
        """Set training mode (BatchNorm stays in eval mode when
        ``norm_eval``) and return ``self`` like :meth:`nn.Module.train`
        (mmseg's ``ResNet.train`` returns None, which breaks
        ``model.eval()(x)``)."""
        super().train(mode)
        return self
