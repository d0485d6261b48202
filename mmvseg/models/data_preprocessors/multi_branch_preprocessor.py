# Copyright (c) mmvseg contributors. All rights reserved.
"""Preprocess every branch of two-stream (multi-branch) training batches.

The counterpart of mmdet's ``MultiBranchDataPreprocessor``
(``mmdet/models/data_preprocessors/data_preprocessor.py``) for clips: the
batches of :class:`~mmvseg.datasets.TwoDomainDataset` hold one batch of
clips per branch, and each goes through one wrapped preprocessor
(:class:`VideoSegDataPreProcessor`).
"""
from collections.abc import Mapping
from typing import Any, Dict

import torch
from mmengine.model import BaseDataPreprocessor
from torch import nn

from mmvseg.registry import MODELS


@MODELS.register_module()
class MultiBranchVideoDataPreProcessor(BaseDataPreprocessor):
    """Run one clip preprocessor on every branch of a training batch.

    Training input (``pseudo_collate`` of :class:`TwoDomainDataset` items)
    and output, for branches ``source`` and ``target`` (any names work)::

        dict(inputs=dict(source=[N Tensors (T, 3, H, W)], target=[...]),
             data_samples=dict(source=[N VideoSegDataSample], target=[...]))
        -> dict(inputs=dict(source=float Tensor (N, T_s, 3, H_s, W_s),
                            target=float Tensor (N, T_t, 3, H_t, W_t)),
                data_samples=dict(source=[N VideoSegDataSample],
                                  target=[N VideoSegDataSample]))

    Each branch is normalised and padded by the wrapped preprocessor on its
    own (:class:`VideoSegDataPreProcessor`: ``size``/``size_divisor``
    padding, so the branches may have different frame counts and sizes; a
    fixed ``size`` must hold the larger domain's images). Outside training
    (validation and test batches are ordinary clip batches of one dataset)
    the batch goes to the wrapped preprocessor unchanged, which makes this
    the plain preprocessor there.

    Args:
        data_preprocessor: config of the wrapped preprocessor, e.g.
            ``dict(type='VideoSegDataPreProcessor', mean=..., std=...,
            bgr_to_rgb=True, size_divisor=32)``.

    Raises:
        TypeError: (training) ``inputs`` is not a dict of branches.
        ValueError: (training) ``data_samples`` has other branches than
            ``inputs``.
    """

    def __init__(self, data_preprocessor: dict) -> None:
        super().__init__()
        self.data_preprocessor = MODELS.build(data_preprocessor)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess each branch (training) or the plain batch (otherwise).

        Args:
            data: the collated batch (see the class docstring).
            training: True for two-stream training batches.

        Returns:
            dict: ``inputs`` and ``data_samples``, dicts over the branches in
            training, as returned by the wrapped preprocessor otherwise.
        """
        if not training:
            return self.data_preprocessor(data, training=False)
        inputs = data['inputs']
        samples = data.get('data_samples')
        if not isinstance(inputs, Mapping):
            raise TypeError(
                f'{self.__class__.__name__}: training inputs must be a dict '
                'of branches (the batches of TwoDomainDataset), got '
                f'{type(inputs).__name__}')
        if samples is not None and (not isinstance(samples, Mapping)
                                    or set(samples) != set(inputs)):
            found = sorted(samples) if isinstance(
                samples, Mapping) else type(samples).__name__
            raise ValueError(
                f'{self.__class__.__name__}: data_samples must have the '
                f'branches of inputs {sorted(inputs)}, got {found}')
        branches = {}
        for name, branch_inputs in inputs.items():
            branch = dict(inputs=branch_inputs)
            if samples is not None:
                branch['data_samples'] = samples[name]
            branches[name] = self.data_preprocessor(branch, training=True)
        return dict(
            inputs={name: out['inputs']
                    for name, out in branches.items()},
            data_samples={
                name: out['data_samples']
                for name, out in branches.items()
            })

    def denormalize(self, frames: torch.Tensor) -> torch.Tensor:
        """The wrapped preprocessor's ``denormalize``: network frames
        (..., 3, H, W) of any branch -> RGB in 0-255 (e.g. to match colours
        across domains, as TPS matches source histograms to the target
        frame)."""
        return self.data_preprocessor.denormalize(frames)

    def to(self, *args, **kwargs) -> nn.Module:
        """Move both this module and the wrapped preprocessor (whose own
        ``device`` attribute ``nn.Module.to`` would not set)."""
        self.data_preprocessor.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def cuda(self, *args, **kwargs) -> nn.Module:
        """See :meth:`to`."""
        self.data_preprocessor.cuda(*args, **kwargs)
        return super().cuda(*args, **kwargs)

    def cpu(self, *args, **kwargs) -> nn.Module:
        """See :meth:`to`."""
        self.data_preprocessor.cpu(*args, **kwargs)
        return super().cpu(*args, **kwargs)
