# Copyright (c) mmvseg contributors. All rights reserved.
"""Offsets of the reference frames of a training item: fixed or random.

An offset is a distance in positions of a video's frame list from the key
frame (``-1``: the previous listed frame). Fixed offsets are a sorted tuple
of distinct non-zero ints; :class:`RandomRefOffsets` draws ``num`` of its
candidate offsets every time an item is loaded, the way

- mmdet's ``UniformRefFrameSample``
  (``mmdet/datasets/transforms/frame_sampling.py``) draws reference frames
  uniformly within ``frame_range`` of the key frame, excluding the key frame
  itself (it cuts the range at the video ends, whereas
  :class:`~mmvseg.datasets.BaseVideoSegDataset` clamps an offset past an
  end to the first/last frame, as for fixed offsets), and
- ETC (Liu et al., "Efficient Semantic Video Segmentation with Per-frame
  Inference", ECCV 2020, arXiv:2002.11433;
  irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
  ``util/dataset.py``, ``VideoData``) pairs each labelled frame ``t`` with
  one frame ``t + o``, ``o`` uniform in ``{+3, +2, +1, -1, -2}``:
  ``dict(choices=[3, 2, 1, -1, -2], num=1)`` or
  ``dict(range=(-2, 3), num=1)`` here.

The draw uses NumPy's global random state (like mmcv's random transforms),
which mmengine seeds in the main process and in every dataloader worker
(``randomness=dict(seed=...)``), so a seeded run draws the same offsets.
"""
from collections.abc import Mapping
from typing import Sequence, Tuple, Union

import numpy as np

#: The keys of the dict form of random offsets.
_RANDOM_KEYS = ('choices', 'range', 'num')


def check_fixed_offsets(offsets: Sequence[int]) -> Tuple[int, ...]:
    """Validate fixed reference offsets.

    Args:
        offsets: distinct non-zero ints (any order; may be empty).

    Returns:
        tuple[int, ...]: the offsets sorted in ascending order.

    Raises:
        ValueError: an offset that is not an int (bools are refused), is
            zero, or repeats another.
    """
    offsets = tuple(offsets)
    for offset in offsets:
        if isinstance(offset, bool) or not isinstance(offset, int) \
                or offset == 0:
            raise ValueError('ref_offsets must be non-zero ints, got '
                             f'{list(offsets)}')
    if len(set(offsets)) != len(offsets):
        raise ValueError(f'ref_offsets must be distinct, got {list(offsets)}')
    return tuple(sorted(offsets))


class RandomRefOffsets:
    """``num`` distinct offsets drawn uniformly from ``candidates``.

    Every subset of ``num`` candidates is equally likely (draw without
    replacement); :meth:`draw` returns it sorted in ascending order.

    Args:
        candidates: distinct non-zero ints, at least ``num`` of them.
        num: number of offsets per draw (the number of reference frames).

    Raises:
        ValueError: bad candidates (see :func:`check_fixed_offsets`), none at
            all, or ``num`` not an int in ``[1, len(candidates)]``.

    Examples:
        >>> import numpy as np
        >>> offsets = RandomRefOffsets([3, 2, 1, -1, -2], num=2)
        >>> offsets.candidates
        (-2, -1, 1, 2, 3)
        >>> np.random.seed(0)
        >>> first = offsets.draw()
        >>> np.random.seed(0)
        >>> offsets.draw() == first and len(first) == 2
        True
    """

    def __init__(self, candidates: Sequence[int], num: int = 1) -> None:
        self.candidates = check_fixed_offsets(candidates)
        if not self.candidates:
            raise ValueError('random ref_offsets need at least one candidate '
                             'offset, got none')
        if isinstance(num, bool) or not isinstance(num, int) \
                or not 1 <= num <= len(self.candidates):
            raise ValueError(
                f'ref_offsets: num must be an int in [1, '
                f'{len(self.candidates)}] (the number of candidates '
                f'{list(self.candidates)}), got {num!r}')
        self.num = num

    @classmethod
    def from_config(cls, cfg: Mapping) -> 'RandomRefOffsets':
        """Build from ``dict(choices=[...], num=n)`` or
        ``dict(range=(low, high), num=n)``.

        ``range`` is inclusive at both ends and leaves out 0 (the key frame):
        ``(-2, 3)`` gives ``(-2, -1, 1, 2, 3)``. ``num`` defaults to 1.

        Raises:
            ValueError: unknown keys, both or neither of ``choices`` and
                ``range``, a ``range`` that is not two ints ``low <= high``,
                and the errors of the constructor.
        """
        unknown = sorted(set(cfg) - set(_RANDOM_KEYS))
        if unknown:
            raise ValueError(f'ref_offsets: unknown keys {unknown}; random '
                             f'offsets take {list(_RANDOM_KEYS)}')
        if ('choices' in cfg) == ('range' in cfg):
            raise ValueError('ref_offsets: give exactly one of "choices" and '
                             f'"range", got {dict(cfg)}')
        if 'choices' in cfg:
            candidates = list(cfg['choices'])
        else:
            bounds = tuple(cfg['range'])
            if len(bounds) != 2 or any(
                    isinstance(b, bool) or not isinstance(b, int)
                    for b in bounds) or bounds[0] > bounds[1]:
                raise ValueError('ref_offsets: range must be two ints (low, '
                                 f'high) with low <= high, got {bounds}')
            candidates = [
                offset for offset in range(bounds[0], bounds[1] + 1)
                if offset != 0
            ]
        return cls(candidates, num=cfg.get('num', 1))

    def draw(self) -> Tuple[int, ...]:
        """Draw ``num`` distinct candidates (sorted ascending)."""
        picks = np.random.choice(
            len(self.candidates), size=self.num, replace=False)
        return tuple(sorted(self.candidates[i] for i in picks))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(candidates={self.candidates}, '
                f'num={self.num})')


RefOffsets = Union[Tuple[int, ...], RandomRefOffsets]


def parse_ref_offsets(spec: Union[Sequence[int], Mapping]) -> RefOffsets:
    """Fixed offsets (a sequence) or random ones (a dict, see
    :meth:`RandomRefOffsets.from_config`).

    Returns:
        tuple[int, ...] | RandomRefOffsets: sorted fixed offsets, or the
        random ones.

    Raises:
        ValueError: see :func:`check_fixed_offsets` and
            :meth:`RandomRefOffsets.from_config`.
    """
    if isinstance(spec, Mapping):
        return RandomRefOffsets.from_config(spec)
    return check_fixed_offsets(spec)
