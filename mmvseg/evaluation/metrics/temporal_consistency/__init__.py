# Copyright (c) mmvseg contributors. All rights reserved.
"""Temporal-consistency metrics, one class per protocol.

* ``ssp``: :class:`SSPTemporalConsistencyMetric`, score ``TC``;
* ``etc``: :class:`ETCTemporalConsistencyMetric`, score ``TC``;
* ``vspw``: :class:`VSPWTemporalConsistencyMetric`, scores ``VC_<n>``.

Each also reports ``TC_protocol``, ``TC_warp_mode`` and ``TC_flow``.
:class:`~mmvseg.evaluation.metrics.TemporalConsistencyMetric` builds them
from ``protocol=...``.
"""
from .base import BaseTemporalConsistencyMetric
from .etc import ETCTemporalConsistencyMetric
from .flow_pairs import FlowPairTemporalConsistencyMetric, describe_flow
from .ssp import SSPTemporalConsistencyMetric
from .vspw import VSPWTemporalConsistencyMetric

__all__ = [
    'BaseTemporalConsistencyMetric', 'ETCTemporalConsistencyMetric',
    'FlowPairTemporalConsistencyMetric', 'SSPTemporalConsistencyMetric',
    'VSPWTemporalConsistencyMetric', 'describe_flow'
]
