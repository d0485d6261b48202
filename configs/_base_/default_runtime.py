# mmvseg runtime: mmseg's, plus the import of mmvseg and video-aware hooks.
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['mmvseg'], allow_failed_imports=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VideoSegVisualizationHook'))
