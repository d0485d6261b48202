# Copyright (c) mmvseg contributors. All rights reserved.
# mmvseg runtime for the epoch-based schedules
# (schedules/schedule_adamw-cos_*.py): metrics logged and checkpoints saved
# by epoch (every 25 epochs, the last 3 kept), seed 0.
_base_ = ['./default_runtime.py']
default_hooks = dict(
    logger=dict(log_metric_by_epoch=True),
    checkpoint=dict(by_epoch=True, interval=25, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
# results are means over seeds 0, 1, 2 (--cfg-options randomness.seed=S)
randomness = dict(seed=0)
