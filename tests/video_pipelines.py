# Copyright (c) mmvseg contributors. All rights reserved.
"""Video pipeline configs shared by the tests.

``tests/`` is on ``sys.path`` (``pythonpath`` in setup.cfg), so test files
import this module by name.
"""
from typing import List


def train_pipeline(*transforms: dict) -> List[dict]:
    """A training pipeline of video items: frame sampling, the frames and
    their label maps loaded with shared random parameters, then
    ``transforms`` (e.g. RandomCrop, RandomFlip) on every frame alike, then
    packing."""
    return [
        dict(type='VideoFrameSample'),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='LoadFrameFromFile'),
                dict(type='LoadVideoAnnotations'),
                *transforms,
            ]),
        dict(type='PackVideoSegInputs'),
    ]
