# Copyright (c) mmvseg contributors. All rights reserved.
import torch.nn.functional as F
from torch import Tensor, nn

from mmvseg.registry import MODELS

#: Reductions of :class:`SoftLabelKDLoss` (those of ``F.kl_div``).
REDUCTIONS = ('batchmean', 'mean')


@MODELS.register_module()
class SoftLabelKDLoss(nn.Module):
    """Knowledge distillation on soft labels: the KL divergence from the
    teacher's to the student's tempered class distribution.

    With student logits ``x``, teacher logits ``y`` (both (B, K, ...)),
    temperature ``tau`` and ``p = softmax(y / tau)`` over the class axis 1:

        L = loss_weight * s * R(p (log p - log_softmax(x / tau)))

    where ``R`` sums over classes and pixels and divides by B
    (``reduction='batchmean'``) or averages over every element
    (``'mean'``), and ``s = tau^2`` (``tau_squared=True``) or 1.

    The defaults are KD-SSP's: FraunhoferIVI/SSP ``utils/losses.py``
    ``KLDivSoftLabelLoss`` with ``softmax_on_target=True`` (configs
    ``kd_ssp_*.yaml``, ``kd_base_*.yaml``: ``temperature: 2``), i.e.
    PyTorch's ``KLDivLoss(reduction='batchmean')`` on 4-D tensors times
    ``tau^2``; paper: "High Temporal Consistency through Semantic
    Similarity Propagation in Semi-Supervised Video Semantic Segmentation
    for Autonomous Flight" (arXiv 2503.15676). That value grows with the
    number of pixels, which is why the repository weighs the consistency
    term by 135000. ETC's pixel-wise KD is the same loss with other
    settings: :class:`mmvseg.models.losses.PixelwiseKDLoss`.

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
        temperature: tau > 0 (the SSP repository's ``temperature``, 2).
        reduction: ``'batchmean'`` or ``'mean'`` (see above).
        tau_squared: multiply by ``tau^2``.
        resize_student: resize the student's logits bilinearly
            (``align_corners=True``) to the teacher's (H, W) first (ETC);
            else the two must have one shape.
        loss_weight: factor on the loss (``mu`` for the previous frame's
            term; 1 in the repository).
        loss_name: key in the losses dict; must start with ``loss_`` to be
            summed by mmengine.

    Raises:
        ValueError: ``temperature`` not positive, or an unknown
            ``reduction``.
    """

    def __init__(self,
                 temperature: float = 2.0,
                 reduction: str = 'batchmean',
                 tau_squared: bool = True,
                 resize_student: bool = False,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_kd'):
        super().__init__()
        if temperature <= 0:
            raise ValueError(
                f'temperature must be positive, got {temperature}')
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        self.temperature = temperature
        self.reduction = reduction
        self.tau_squared = tau_squared
        self.resize_student = resize_student
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
                ``O_t`` or ``Z_{t-1}``); with ``resize_student`` (B, K, h, w).
            teacher_logits: (B, K, ...) float teacher logits (raw or the
                consistent targets of
                :func:`mmvseg.models.utils.kd_targets.kd_consistent_logits`),
                the student's shape (with ``resize_student`` (B, K, H, W)),
                any float dtype (cast to the student's); detached here.

        Returns:
            Tensor: scalar loss in the student's dtype.

        Raises:
            ValueError: fewer than 2 dimensions or different shapes (with
                ``resize_student``: not 4-d, or another B or K); the message
                names both shapes.
        """
        if self.resize_student:
            if student_logits.dim() != 4 or teacher_logits.dim() != 4 or \
                    student_logits.shape[:2] != teacher_logits.shape[:2]:
                raise ValueError(
                    'student and teacher logits must be (B, K, H, W) with '
                    f'one B and K, got {tuple(student_logits.shape)} and '
                    f'{tuple(teacher_logits.shape)}')
            student_logits = F.interpolate(
                student_logits,
                size=teacher_logits.shape[2:],
                mode='bilinear',
                align_corners=True)
        elif student_logits.dim() < 2 or \
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
            log_student, log_teacher, reduction=self.reduction,
            log_target=True)
        scale = tau**2 if self.tau_squared else 1.0
        return self.loss_weight * scale * kl
