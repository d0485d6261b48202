# Copyright (c) mmvseg contributors. All rights reserved.
# DFF on RuralScapes, the paper's baseline (FraunhoferIVI/SSP
# config/video/dff_rural.yaml): the DFF of
# dff_hiera-s_1xb4-250e-stop200e_uavid-736x736.py (key frame every 8 frames,
# RAFT-large 8 updates trained end to end, CE, 736x736 training crops,
# evaluation; weights as there) with 12 classes, on RuralScapes
# (../_base_/datasets/ruralscapes.py), trained with the cosine over 100
# epochs stopped at 75
# (../_base_/schedules/schedule_adamw-cos_100e-stop75e.py),
# from the trained RuralScapes image model
# (configs/hiera/upernet_hiera-s_1xb4-100e-stop75e_ruralscapes-736x1280.py).
_base_ = [
    '../_base_/models/dff_upernet_hiera-s.py',
    '../_base_/datasets/ruralscapes.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_100e-stop75e.py'
]
model = _base_.video_model
