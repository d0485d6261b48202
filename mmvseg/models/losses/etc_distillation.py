# Copyright (c) mmvseg contributors. All rights reserved.
"""Distillation losses of ETC, one registered module each.

Source: irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation,
``util/crit.py`` (the criteria), ``model/ConvLSTM.py`` (the ConvLSTM cell)
and ``model/sd_model.py`` (how they are combined); paper: Liu, Shen, Yu,
Wang, "Efficient Semantic Video Segmentation with Per-frame Inference",
ECCV 2020. The repository calls every criterion with the student's and
the teacher's outputs of several frames at once; here each module takes
tensors, and the caller picks the head output the repository uses:

* :class:`PixelwiseKDLoss` (``CriterionKD``): logits;
* :class:`PairwiseSimilarityDistillationLoss` (``CriterionSDcos_sig``):
  logits;
* :class:`SpatialSimilarityDistillationLoss` (``CriterionSDcos_self``):
  pyramid-pooling features (the repository's ``'fea'``);
* :class:`ConvLSTMDistillationLoss` (``CriterionLSTM``): pyramid-pooling
  features.

All ``mean`` reductions average over every element, as the PyTorch modules
of the repository do (``KLDivLoss()``, ``MSELoss()``). The teacher's
tensors are used as given: run the teacher under ``torch.no_grad()`` (the
repository does) so that no gradient reaches it.

The class-weighted deep-supervision cross-entropy of the repository
(``CriterionDSN``: ``CE_w(up(main)) + 0.4 CE_w(up(aux))``, ``up`` bilinear
with ``align_corners=True`` to the label size, weighted mean over the
non-ignored pixels) is no module here: configs use
:class:`mmvseg.models.losses.WeightedCrossEntropyLoss` (mmseg's
``CrossEntropyLoss`` whose class-weighted mean skips the ignore index, which
mmseg 1.2.2's fails on: open-mmlab/mmsegmentation issues #3492, #3734) with
``class_weight=list(CITYSCAPES_ETC_CLASS_WEIGHTS)`` in the decode head and
the same with ``loss_weight=0.4`` in an auxiliary head, both heads with
``align_corners=True`` for the repository's upsampling.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmvseg.registry import MODELS
from .kd_loss import SoftLabelKDLoss

#: Cityscapes class weights of the repository's weighted cross-entropy
#: (``util/crit.py``, ``CriterionDSN``), in train-id order (road first).
CITYSCAPES_ETC_CLASS_WEIGHTS: Tuple[float, ...] = (
    0.8373, 0.918, 0.866, 1.0345, 1.0166, 0.9969, 0.9754, 1.0489, 0.8786,
    1.0023, 0.9539, 0.9843, 1.1116, 0.9037, 1.0865, 1.0955, 1.0865, 1.1529,
    1.0507)

NORMALIZERS = ('repo', 'cosine')


def _shape(x: Tensor) -> tuple:
    return tuple(x.shape)


def _check_4d(**tensors: Tensor) -> None:
    bad = {k: _shape(v) for k, v in tensors.items() if v.dim() != 4}
    if bad:
        raise ValueError(f'expected (B, C, H, W) tensors, got {bad}')


def _check_pair(student: Tensor, teacher: Tensor) -> None:
    """Student and teacher maps: 4-d, same batch and spatial size."""
    _check_4d(student=student, teacher=teacher)
    if (student.shape[0] != teacher.shape[0]
            or student.shape[2:] != teacher.shape[2:]):
        raise ValueError('student and teacher maps must share B, H and W, '
                         f'got {_shape(student)} and {_shape(teacher)}')


def pairwise_similarity(x: Tensor, other: Tensor,
                        normalizer: str = 'cosine') -> Tensor:
    """Similarities between every position of ``x`` and of ``other``.

    With ``x_i``, ``o_j`` the C-vectors at the flattened positions i, j:

    * ``'cosine'``: ``A_ij = <x_i, o_j> / (|x_i| |o_j|)`` (the repository's
      ``Cos_Attn_self`` when ``other is x``);
    * ``'repo'``: ``A_ij = <x_i, o_j> / (|o_i| |x_j|)``, the repository's
      ``Cos_Attn_no`` (``util/crit.py``), whose normaliser pairs the norms
      with the swapped indices; it equals the cosine only where the norms
      agree (always on the diagonal).

    There is no epsilon, as in the repository: an all-zero vector gives
    ``inf``/``nan``.

    Args:
        x: (B, C, H, W) float map.
        other: (B, C, H, W) float map.
        normalizer: ``'cosine'`` or ``'repo'``.

    Returns:
        Tensor: (B, H*W, H*W) similarities, dtype of ``x``.

    Raises:
        ValueError: unknown ``normalizer`` or shapes that differ / are not
            4-d.
    """
    if normalizer not in NORMALIZERS:
        raise ValueError(f'normalizer must be one of {NORMALIZERS}, '
                         f'got {normalizer!r}')
    _check_4d(x=x, other=other)
    if x.shape != other.shape:
        raise ValueError(f'x and other must have one shape, got {_shape(x)} '
                         f'and {_shape(other)}')
    x = x.flatten(2)
    other = other.flatten(2)
    dots = torch.bmm(x.transpose(1, 2), other)
    x_norm, o_norm = x.norm(dim=1), other.norm(dim=1)
    if normalizer == 'cosine':
        norms = x_norm.unsqueeze(2) * o_norm.unsqueeze(1)
    else:
        norms = o_norm.unsqueeze(2) * x_norm.unsqueeze(1)
    return dots / norms


@MODELS.register_module()
class PixelwiseKDLoss(SoftLabelKDLoss):
    """Pixel-wise knowledge distillation, ``CriterionKD`` of ETC.

    ``L = loss_weight * mean_{B,K,H,W} p_T (log p_T - log p_S)`` with
    ``p = softmax(z / tau)`` over the class axis, the student's logits
    first resized bilinearly (``align_corners=True``) to the teacher's
    size; no ``tau**2`` factor: :class:`SoftLabelKDLoss` with
    ``reduction='mean'``, ``tau_squared=False``, ``resize_student=True``.
    The repository sums this over the labelled and the other frame
    (``CriterionKD``), or weighs the extra frames by 0.4
    (``CriterionKDLong``): call it once per frame.

    Args:
        temperature: tau > 0 (the repository's ``T``, 1).
        loss_weight: factor of the loss (not set in the repository; 1.0 is
            our default).
        loss_name: key in the losses dict.

    Raises:
        ValueError: ``temperature <= 0``; (on call) inputs not 4-d, or
            another batch size or class count.
    """

    def __init__(self,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_kd'):
        super().__init__(
            temperature=temperature,
            reduction='mean',
            tau_squared=False,
            resize_student=True,
            loss_weight=loss_weight,
            loss_name=loss_name)


@MODELS.register_module()
class PairwiseSimilarityDistillationLoss(nn.Module):
    """Cross-frame pair-wise similarity distillation, ETC's
    ``CriterionSDcos_sig``.

    ``L = loss_weight * mean_{B,i,j} (A^S_ij - A^T_ij)^2`` where ``A`` is
    :func:`pairwise_similarity` between the labelled frame t and the other
    frame o of one network. The repository applies it to the logits at
    1/8 resolution, without pooling: memory grows with ``(H*W)**2``
    (9409**2 floats per sample for a 769 crop).

    Args:
        normalizer: ``'repo'`` (default, the repository's swapped norms) or
            ``'cosine'``.
        loss_weight: factor of the loss (not set in the repository; 1.0 is
            our default).
        loss_name: key in the losses dict.

    Raises:
        ValueError: unknown ``normalizer``.
    """

    def __init__(self,
                 normalizer: str = 'repo',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_sd'):
        super().__init__()
        if normalizer not in NORMALIZERS:
            raise ValueError(f'normalizer must be one of {NORMALIZERS}, '
                             f'got {normalizer!r}')
        self.normalizer = normalizer
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student_t: Tensor, student_other: Tensor,
                teacher_t: Tensor, teacher_other: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_t: (B, Cs, H, W) float student logits of frame t.
            student_other: (B, Cs, H, W) student logits of frame o.
            teacher_t: (B, Ct, H, W) float teacher logits of frame t.
            teacher_other: (B, Ct, H, W) teacher logits of frame o.

        Returns:
            Tensor: scalar loss.

        Raises:
            ValueError: a frame pair of different shapes, or student and
                teacher maps of different batch or spatial size.
        """
        _check_pair(student_t, teacher_t)
        graph_s = pairwise_similarity(student_t, student_other,
                                      self.normalizer)
        graph_t = pairwise_similarity(teacher_t, teacher_other,
                                      self.normalizer)
        return self.loss_weight * F.mse_loss(graph_s, graph_t)


def _self_similarity_mse(student: Tensor, teacher: Tensor,
                         pool: nn.Module) -> Tensor:
    """MSE of the cosine self-similarities of pooled student/teacher maps."""
    _check_pair(student, teacher)
    pooled_s, pooled_t = pool(student), pool(teacher)
    return F.mse_loss(
        pairwise_similarity(pooled_s, pooled_s),
        pairwise_similarity(pooled_t, pooled_t))


def _check_sequences(student: Sequence[Tensor],
                     teacher: Sequence[Tensor]) -> None:
    if len(student) == 0 or len(student) != len(teacher):
        raise ValueError('expected one or more frames, as many for the '
                         f'student as for the teacher, got {len(student)} '
                         f'and {len(teacher)}')


@MODELS.register_module()
class SpatialSimilarityDistillationLoss(nn.Module):
    """Per-frame spatial self-similarity distillation, ETC's
    ``CriterionSDcos_self``.

    Each map is average-pooled (kernel = stride = ``pool``) and turned
    into the cosine similarity ``G`` of all its positions
    (:func:`pairwise_similarity` of the map with itself). With frame 0 the
    labelled frame and frames 1.. the others::

        L = loss_weight * (MSE(G^S_0, G^T_0)
                           + other_weight * sum_k>0 MSE(G^S_k, G^T_k))

    The repository uses three frames (labelled, before, after), the
    pyramid-pooling features and ``pool=2`` (its stride is fixed to 2,
    equal to the kernel at that value).

    Args:
        pool: pooling kernel and stride.
        other_weight: weight of each extra frame (0.4).
        loss_weight: factor of the loss (not set in the repository; 1.0 is
            our default).
        loss_name: key in the losses dict.
    """

    def __init__(self,
                 pool: int = 2,
                 other_weight: float = 0.4,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_sd_self'):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size=pool, stride=pool)
        self.other_weight = other_weight
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, student: Sequence[Tensor],
                teacher: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            student: per frame a (B, Cs, H, W) float map, labelled frame
                first.
            teacher: per frame a (B, Ct, H, W) float map, same order.

        Returns:
            Tensor: scalar loss.

        Raises:
            ValueError: no frames, sequences of different lengths, or maps
                that are not 4-d or differ in batch or spatial size.
        """
        _check_sequences(student, teacher)
        losses = [
            _self_similarity_mse(s, t, self.pool)
            for s, t in zip(student, teacher)
        ]
        loss = losses[0] + self.other_weight * sum(losses[1:])
        return self.loss_weight * loss


class ConvLSTMCell(nn.Module):
    """One ConvLSTM step, as ``model/ConvLSTM.py`` of ETC.

    One convolution of ``[input, h]`` gives the input, forget and output
    gates (sigmoid) and the candidate (tanh), in that channel order;
    ``c' = f c + i g``, ``h' = o tanh(c')``; a missing state is zeros.

    Args:
        in_channels: channels of the input.
        hidden_channels: channels of ``h`` and ``c``.
        kernel_size: odd kernel of the convolution (padding keeps the size).
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 kernel_size: int):
        super().__init__()
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(
            in_channels + hidden_channels,
            4 * hidden_channels,
            kernel_size,
            padding=kernel_size // 2)

    def forward(self, x: Tensor,
                state: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, Tensor]:
        """(B, in, H, W) input and optional (h, c) -> new (h, c), each
        (B, hidden, H, W)."""
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_channels,
                                *x.shape[2:])
            state = (zeros, zeros)
        hidden, cell = state
        gates = self.gates(torch.cat((x, hidden), dim=1))
        in_gate, forget_gate, out_gate, candidate = gates.chunk(4, dim=1)
        cell = (forget_gate.sigmoid() * cell +
                in_gate.sigmoid() * candidate.tanh())
        return out_gate.sigmoid() * cell.tanh(), cell


@MODELS.register_module()
class ConvLSTMDistillationLoss(nn.Module):
    """Multi-frame ConvLSTM distillation, ETC's ``CriterionLSTM``.

    Each map is average-pooled (``AvgPool2d(pool, pool)``, 16 in the
    repository) and turned into its (N', N') cosine self-similarity
    ``G``; the sequence of ``G`` (as 1-channel images, in the order given:
    the repository feeds before, labelled, after) runs through one
    ConvLSTM cell from a zero state, once for the student and once for
    the teacher with the **same** cell; the loss compares the final
    states::

        L = loss_weight * (MSE(h^T, h^S) + MSE(c^T, c^S))

    The cell's weights are parameters of this module; the repository does
    not release how they are trained (its ``update`` tag), so a model that
    holds this loss trains them with its optimizer. Off by default in the
    ETC configs.

    Args:
        pool: pooling kernel and stride.
        hidden_channels: channels of the ConvLSTM state (4).
        kernel_size: ConvLSTM kernel (3, padding 1).
        loss_weight: factor of the loss (not set in the repository; 1.0 is
            our default).
        loss_name: key in the losses dict.
    """

    def __init__(self,
                 pool: int = 16,
                 hidden_channels: int = 4,
                 kernel_size: int = 3,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_lstm'):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size=pool, stride=pool)
        self.lstm = ConvLSTMCell(1, hidden_channels, kernel_size)
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def _final_state(self, maps: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        state = None
        for x in maps:
            pooled = self.pool(x)
            graph = pairwise_similarity(pooled, pooled).unsqueeze(1)
            state = self.lstm(graph, state)
        return state

    def forward(self, student: Sequence[Tensor],
                teacher: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            student: per frame a (B, Cs, H, W) float map (H, W at least
                ``pool``), in temporal order.
            teacher: per frame a (B, Ct, H, W) float map, same order.

        Returns:
            Tensor: scalar loss.

        Raises:
            ValueError: no frames, sequences of different lengths, maps
                that are not 4-d, or student and teacher maps of different
                batch or spatial size.
        """
        _check_sequences(student, teacher)
        for s, t in zip(student, teacher):
            _check_pair(s, t)
        hidden_s, cell_s = self._final_state(student)
        hidden_t, cell_t = self._final_state(teacher)
        return self.loss_weight * (
            F.mse_loss(hidden_t, hidden_s) + F.mse_loss(cell_t, cell_s))
