# Copyright (c) mmvseg contributors. All rights reserved.
"""Class-weighted cross-entropy that ignores the ignore index."""
from typing import Optional

from mmseg.models.losses import CrossEntropyLoss
from torch import Tensor

from mmvseg.registry import MODELS


@MODELS.register_module()
class WeightedCrossEntropyLoss(CrossEntropyLoss):
    """mmseg's ``CrossEntropyLoss`` with ``class_weight`` on label maps that
    hold the ignore index.

    The class-weighted mean of PyTorch's
    ``nn.CrossEntropyLoss(weight=w, ignore_index=i)``::

        L = loss_weight * sum_p w[y_p] * CE_p / sum_p w[y_p]

    over the pixels p whose label y_p is not ``ignore_index``; this is the
    weighted cross-entropy of ETC's ``CriterionDSN``
    (irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
    ``util/crit.py``) and of mmseg's own ``avg_non_ignore=True`` as
    documented. mmseg 1.2.2 computes that divisor by indexing the class
    weights with every label, the ignore index included
    (``mmseg/models/losses/cross_entropy_loss.py``, ``cross_entropy``), so
    any label map with 255 raises ``IndexError`` on CPU, a device assertion
    on CUDA (open-mmlab/mmsegmentation issues #3492, #3734). This class
    passes the divisor itself (``avg_factor``) and otherwise is mmseg's
    loss; without class weights, with another reduction or with an explicit
    ``avg_factor`` it behaves exactly as its parent.

    Args:
        **kwargs: those of mmseg's ``CrossEntropyLoss`` (``class_weight``,
            ``loss_weight``, ``loss_name``, ``avg_non_ignore``, ...).
            ``use_sigmoid`` and ``use_mask`` are not supported with
            ``class_weight``.

    Raises:
        ValueError: ``class_weight`` together with ``use_sigmoid`` or
            ``use_mask``.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.class_weight is not None and (self.use_sigmoid
                                              or self.use_mask):
            raise ValueError('WeightedCrossEntropyLoss supports class_weight '
                             'with softmax cross-entropy only')

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                ignore_index: int = -100,
                **kwargs) -> Tensor:
        """The loss of logits ``cls_score`` (N, K, H, W) against int64
        labels ``label`` (N, H, W); pixels labelled ``ignore_index`` add
        nothing (see the class docstring). Arguments as mmseg's
        ``CrossEntropyLoss.forward``."""
        reduction = reduction_override or self.reduction
        if self.class_weight is not None and avg_factor is None \
                and reduction == 'mean':
            class_weight = cls_score.new_tensor(self.class_weight)
            avg_factor = class_weight[label[label != ignore_index]].sum()
        return super().forward(
            cls_score,
            label,
            weight,
            avg_factor=avg_factor,
            reduction_override=reduction_override,
            ignore_index=ignore_index,
            **kwargs)
