# Copyright (c) mmvseg contributors. All rights reserved.
# The FraunhoferIVI/SSP training schedule on RuralScapes (repository configs
# config/*/*_rural.yaml num_epochs: 100, early_stopping: 75): the AdamW +
# warm-up + cosine schedule of schedule_adamw-cos_250e-stop200e.py with
# S = 100 epochs, stopped after 75 (the factor of the last iterations is
# 0.152), validation every 25 epochs.
_base_ = ['./schedule_adamw-cos_250e-stop200e.py']
num_epochs = 100
stop_epoch = 75
# the cosine's end and length, resolved with the base's num_epochs
param_scheduler = _base_.param_scheduler
param_scheduler[1].update(
    end=num_epochs, T_max=num_epochs - _base_.warmup_epochs)
train_cfg = dict(max_epochs=stop_epoch, val_interval=25)
