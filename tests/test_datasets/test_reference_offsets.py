# Copyright (c) mmvseg contributors. All rights reserved.
from collections import Counter

import numpy as np
import pytest

from mmvseg.datasets import RandomRefOffsets
from mmvseg.datasets.reference_offsets import (check_fixed_offsets,
                                               parse_ref_offsets)

#: The offsets of ETC's other frame (irfanICMLL/ETC util/dataset.py).
ETC_OFFSETS = (-2, -1, 1, 2, 3)


def test_fixed_offsets_sorted():
    assert parse_ref_offsets([1, -1, -2]) == (-2, -1, 1)
    assert parse_ref_offsets(()) == ()
    assert check_fixed_offsets((-1, )) == (-1, )


@pytest.mark.parametrize('offsets, message', [
    ([0], 'non-zero ints'),
    ([True], 'non-zero ints'),
    ([0.5], 'non-zero ints'),
    ([-1, -1], 'distinct'),
])
def test_bad_fixed_offsets(offsets, message):
    with pytest.raises(ValueError, match=f'ref_offsets must be .*{message}'):
        parse_ref_offsets(offsets)


def test_choices_and_range_give_the_same_candidates():
    by_choices = parse_ref_offsets(dict(choices=[3, 2, 1, -1, -2]))
    by_range = parse_ref_offsets(dict(range=(-2, 3), num=1))
    for offsets in (by_choices, by_range):
        assert isinstance(offsets, RandomRefOffsets)
        assert offsets.candidates == ETC_OFFSETS
        assert offsets.num == 1
    assert repr(by_range) == ('RandomRefOffsets(candidates=(-2, -1, 1, 2, '
                              '3), num=1)')
    assert parse_ref_offsets(dict(range=(-3, -1), num=3)).candidates == (
        -3, -2, -1)


def test_draws_are_uniform_distinct_and_seeded():
    offsets = RandomRefOffsets(ETC_OFFSETS, num=1)
    np.random.seed(0)
    draws = [offsets.draw() for _ in range(5000)]
    assert all(len(draw) == 1 for draw in draws)
    counts = Counter(draw[0] for draw in draws)
    assert set(counts) == set(ETC_OFFSETS)
    for offset in ETC_OFFSETS:  # 1000 expected, std ~28
        assert 850 < counts[offset] < 1150, counts
    np.random.seed(0)
    assert [offsets.draw() for _ in range(5000)] == draws

    pairs = RandomRefOffsets(ETC_OFFSETS, num=2)
    np.random.seed(1)
    pair_draws = {pairs.draw() for _ in range(500)}
    # all 10 sorted pairs of distinct offsets, nothing else
    assert pair_draws == {(a, b)
                          for a in ETC_OFFSETS for b in ETC_OFFSETS if a < b}
    assert RandomRefOffsets([2, -1], num=2).draw() == (-1, 2)


@pytest.mark.parametrize('cfg, message', [
    (dict(choices=[1], range=(1, 2)), 'exactly one of'),
    (dict(num=1), 'exactly one of'),
    (dict(choices=[1], size=1), r"unknown keys \['size'\]"),
    (dict(choices=[]), 'at least one candidate'),
    (dict(choices=[0, 1]), 'non-zero ints'),
    (dict(choices=[1, 1]), 'distinct'),
    (dict(choices=[1, 2], num=3), r'num must be an int in \[1, 2\]'),
    (dict(choices=[1, 2], num=0), 'num must be'),
    (dict(choices=[1, 2], num=1.0), 'num must be'),
    (dict(range=(2, 1)), 'low <= high'),
    (dict(range=(1, )), 'two ints'),
    (dict(range=(-1.5, 2)), 'two ints'),
    (dict(range=(0, 0)), 'at least one candidate'),
])
def test_bad_random_offsets(cfg, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_ref_offsets(cfg)
    assert 'ref_offsets' in str(error.value)
