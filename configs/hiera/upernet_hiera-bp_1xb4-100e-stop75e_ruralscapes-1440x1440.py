# Copyright (c) mmvseg contributors. All rights reserved.
# KD teacher on RuralScapes (FraunhoferIVI/SSP
# config/image/teacher_rural.yaml): the teacher of
# upernet_hiera-bp_1xb4-250e-stop200e_uavid-1440x1440.py (SAM2 Hiera-B+ +
# UPerHead(512), random 1440x1440 crops of the full-size ``data/`` frames,
# evaluation at 1440x2560) with 12 classes, on RuralScapes
# (../_base_/datasets/ruralscapes_1440x1440.py), trained with the cosine over
# 100 epochs stopped at 75
# (../_base_/schedules/schedule_adamw-cos_100e-stop75e.py).
_base_ = [
    '../_base_/models/video_upernet_hiera-bp.py',
    '../_base_/datasets/ruralscapes_1440x1440.py',
    '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_100e-stop75e.py'
]
data_preprocessor = dict(size=_base_.crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    image_model=dict(decode_head=dict(num_classes=_base_.num_classes)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
