# Copyright (c) mmvseg contributors. All rights reserved.
import torch.nn.functional as F
from torch import Tensor, nn

from mmvseg.registry import MODELS


@MODELS.register_module()
class SoftLabelKDLoss(nn.Module):
    """Soft-label knowledge distillation loss of KD-SSP (per-sample pixel sum).

    With student logits ``x``, teacher logits ``y`` (both (B, K, ...)),
    temperature ``tau`` and ``p = softmax(y / tau)`` over the class axis 1:

        L = loss_weight * tau^2 / B
            * sum_{b, k, pixels} p (log p - log_softmax(x / tau))

    i.e. the KL divergence KL(p || softmax(x / tau)) summed over classes
    *and* pixels and divided by the batch size only: PyTorch's
    ``KLDivLoss(reduction='batchmean')`` on 4-D tensors, times ``tau^2``.
    This is FraunhoferIVI/SSP ``utils/losses.py`` ``KLDivSoftLabelLoss``
    with ``softmax_on_target=True`` (configs ``kd_ssp_*.yaml``,
    ``kd_base_*.yaml``: ``temperature: 2``); methods.md §1.5. Paper: "High
    Temporal Consistency through Semantic Similarity Propagation in
    Semi-Supervised Video Semantic Segmentation for Autonomous Flight"
    (arXiv 2503.15676). The value grows with the number of pixels, which
    is why the repository weighs the consistency term by 135000.

    There is no ground truth and nothing is ignored. The teacher logits are
    detached, so only the student receives gradients (a live teacher is not
    trained by this loss).

    Why not mmseg 1.2.2's ``KLDivLoss`` (``mmseg/models/losses/kldiv_loss.py``)
    with any reduction:

    - it passes ``softmax(x / tau)`` (probabilities) to ``F.kl_div``, which
      expects log-probabilities, so it computes
      ``sum p (log p - softmax(x / tau))``: not a KL divergence (it is
      negative: about -96 per sample for random (2, 4, 3, 5) logits against
      themselves with tau = 2), with another gradient;
    - its ``'mean'`` divides by K x pixels per sample, its ``'sum'`` returns
      a (B,) vector of per-sample sums (only mmengine's ``parse_losses``
      would average it over the batch); no ``'batchmean'``, no
      ``loss_weight``;
    - ``mmseg.models.losses`` does not import it, so ``type='KLDivLoss'``
      does not build without importing ``mmseg.models.losses.kldiv_loss``.

    Args:
        temperature: tau > 0 (the repository's ``temperature``, 2).
        loss_weight: factor on the loss (``mu`` for the previous frame's
            term; 1 in the repository).
        loss_name: key in the losses dict; must start with ``loss_`` to be
            summed by mmengine.

    Raises:
        ValueError: ``temperature`` not positive.
    """

    def __init__(self,
                 temperature: float = 2.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_kd'):
        super().__init__()
        if temperature <= 0:
            raise ValueError(
                f'temperature must be positive, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_logits: Tensor,
                teacher_logits: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (B, K, ...) float logits (e.g. (B, K, H, W),
                ``O_t`` or ``Z_{t-1}``).
            teacher_logits: (B, K, ...) float teacher logits (raw or the
                consistent targets of
                :func:`mmvseg.models.utils.kd_targets.kd_consistent_logits`),
                same shape, any float dtype (cast to the student's);
                detached here.

        Returns:
            Tensor: scalar loss in the student's dtype.

        Raises:
            ValueError: fewer than 2 dimensions or different shapes (the
                message names both shapes).
        """
        if student_logits.dim() < 2 or \
                student_logits.shape != teacher_logits.shape:
            raise ValueError(
                'student and teacher logits must be (B, K, ...) of the same '
                f'shape, got {tuple(student_logits.shape)} and '
                f'{tuple(teacher_logits.shape)}')
        tau = self.temperature
        log_student = F.log_softmax(student_logits / tau, dim=1)
        log_teacher = F.log_softmax(
            teacher_logits.detach().to(student_logits.dtype) / tau, dim=1)
        kl = F.kl_div(
            log_student, log_teacher, reduction='batchmean', log_target=True)
        return self.loss_weight * tau**2 * kl
