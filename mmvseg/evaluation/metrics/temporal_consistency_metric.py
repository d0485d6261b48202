# Copyright (c) mmvseg contributors. All rights reserved.
"""``TemporalConsistencyMetric(protocol=...)``: the config entry point of the
temporal-consistency metrics."""
from abc import ABCMeta
from typing import Dict, Optional, Sequence, Type

from mmvseg.registry import METRICS
from .temporal_consistency import (BaseTemporalConsistencyMetric,
                                   ETCTemporalConsistencyMetric,
                                   FlowPairTemporalConsistencyMetric,
                                   SSPTemporalConsistencyMetric,
                                   VSPWTemporalConsistencyMetric)
from .temporal_consistency.flow_pairs import check_flow_batch_size
from .temporal_consistency.vspw import check_on_sparse_gt, check_vc_n

PROTOCOL_METRICS: Dict[str, Type[BaseTemporalConsistencyMetric]] = {
    metric.protocol: metric
    for metric in (SSPTemporalConsistencyMetric, ETCTemporalConsistencyMetric,
                   VSPWTemporalConsistencyMetric)
}
PROTOCOLS = tuple(PROTOCOL_METRICS)


@METRICS.register_module()
class TemporalConsistencyMetric(metaclass=ABCMeta):
    """Build the temporal-consistency metric of a protocol.

    ``TemporalConsistencyMetric(protocol=p, **kwargs)`` (or
    ``dict(type='TemporalConsistencyMetric', protocol=p, ...)`` in a config)
    returns an instance of the class of :data:`PROTOCOL_METRICS`:

    * ``'ssp'``: :class:`SSPTemporalConsistencyMetric` (key ``TC``);
    * ``'etc'``: :class:`ETCTemporalConsistencyMetric` (key ``TC``);
    * ``'vspw'``: :class:`VSPWTemporalConsistencyMetric` (keys ``VC_<n>``);

    each followed by ``TC_protocol``, ``TC_warp_mode`` and ``TC_flow``. The
    protocol classes are registered as virtual subclasses
    (:meth:`abc.ABCMeta.register`), so ``isinstance(metric,
    TemporalConsistencyMetric)`` holds for all of them; the class itself is
    never instantiated.

    All arguments of all protocols are accepted and checked; those the
    protocol does not use are ignored, except ``flow`` and ``warp_mode``,
    which must stay None for ``vspw``.

    Args:
        protocol: ``'ssp'``, ``'etc'`` or ``'vspw'``.
        flow: ssp/etc: flow estimator config; defaults to
            ``dict(type='DISFlow')``.
        warp_mode: ssp/etc: label warp, None for the protocol default.
        vc_n: vspw: window lengths.
        on_sparse_gt: vspw: ``'error'`` or ``'skip'``.
        flow_batch_size: ssp/etc: frame pairs sent to the flow estimator at
            once.
        ignore_index: ssp/etc: warped label value left out of the scores.
        num_classes: ssp/etc: K; defaults to the dataset's classes.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'tc_<protocol>'``.

    Returns:
        BaseTemporalConsistencyMetric: the protocol's metric.

    Raises:
        ValueError: unknown protocol / warp mode / ``on_sparse_gt``, a flow
            or warp mode given for vspw, ``vc_n`` values below 2,
            ``flow_batch_size`` below 1.

    Example:
        >>> metric = TemporalConsistencyMetric(protocol='vspw', vc_n=(8, ))
        >>> type(metric).__name__, metric.prefix
        ('VSPWTemporalConsistencyMetric', 'tc_vspw')
        >>> isinstance(metric, TemporalConsistencyMetric)
        True
    """

    def __new__(cls,
                protocol: str = 'ssp',
                flow: Optional[dict] = None,
                warp_mode: Optional[str] = None,
                vc_n: Sequence[int] = (8, 16),
                on_sparse_gt: str = 'error',
                flow_batch_size: int = 4,
                ignore_index: int = 255,
                num_classes: Optional[int] = None,
                collect_device: str = 'cpu',
                prefix: Optional[str] = None) -> BaseTemporalConsistencyMetric:
        if protocol not in PROTOCOL_METRICS:
            raise ValueError(
                f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        metric_cls = PROTOCOL_METRICS[protocol]
        common = dict(collect_device=collect_device, prefix=prefix)
        if issubclass(metric_cls, FlowPairTemporalConsistencyMetric):
            check_on_sparse_gt(on_sparse_gt)
            check_vc_n(vc_n)
            return metric_cls(
                flow=flow,
                warp_mode=warp_mode,
                flow_batch_size=flow_batch_size,
                ignore_index=ignore_index,
                num_classes=num_classes,
                **common)
        if flow is not None or warp_mode is not None:
            raise ValueError(f'the {protocol} protocol uses no flow: leave '
                             'flow and warp_mode unset')
        check_flow_batch_size(flow_batch_size)
        return metric_cls(vc_n=vc_n, on_sparse_gt=on_sparse_gt, **common)


for _metric in PROTOCOL_METRICS.values():
    TemporalConsistencyMetric.register(_metric)
