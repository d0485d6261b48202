# Copyright (c) mmvseg contributors. All rights reserved.
# The FraunhoferIVI/SSP training schedule on UAVid (repository
# utils/schedulers.py and utils/optim_utils.py, configs num_epochs: 250,
# early_stopping: 200): AdamW (default betas and eps, weight decay 0.05, no
# gradient clipping), the learning-rate factor stepped every iteration with
#   factor(s) = s0 + (s / w) * (1 - s0)                             s < w
#   factor(s) = sf + (1 - sf) * (1 + cos(pi * (s - w) / (S - w))) / 2   s >= w
# w = 2 epochs, S = num_epochs epochs (in iterations), s0 = sf = 1e-4, and
# training stopped after early_stopping epochs, i.e. with the cosine cut
# early: the factor of the last iterations is 0.097.
# mmengine's LinearLR reaches 1 one iteration before the repository's ramp
# (its last warm-up step is w - 1); from iteration w on both are equal.
# lr = 5e-5 is the video models' (SSP, KD-SSP, DFF, NetWarp, TCB); the image
# models override it with 2.5e-5. The epoch-based loop needs a finite train
# sampler (../datasets/uavid_vdd.py: DefaultSampler(shuffle=True),
# drop_last=True); configs using this schedule log and save checkpoints by
# epoch (../default_runtime_epoch.py).
num_epochs = 250
stop_epoch = 200
warmup_epochs = 2
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-5, betas=(0.9, 0.999), eps=1e-8,
        weight_decay=0.05))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=1e-4,
        by_epoch=True,
        begin=warmup_epochs,
        end=num_epochs,
        T_max=num_epochs - warmup_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=stop_epoch, val_interval=50)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
