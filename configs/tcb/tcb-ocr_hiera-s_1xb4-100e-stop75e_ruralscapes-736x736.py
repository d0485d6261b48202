# Copyright (c) mmvseg contributors. All rights reserved.
# TCB-OCR on RuralScapes, the paper's baseline (FraunhoferIVI/SSP
# config/video/tcbocr_rural.yaml): the TCB-OCR of
# tcb-ocr_hiera-s_1xb4-250e-stop200e_uavid-736x736.py (clip block on frames
# t, t-1, t-2, t-3, CE, 736x736 training crops, evaluation; weights as
# there) with 12 classes, on RuralScapes (../_base_/datasets/ruralscapes.py),
# trained with the cosine over 100 epochs stopped at 75
# (../_base_/schedules/schedule_adamw-cos_100e-stop75e.py), from the trained
# RuralScapes image model
# (configs/hiera/upernet_hiera-s_1xb4-100e-stop75e_ruralscapes-736x1280.py).
# A labelled frame near the start of a clip gets references clamped to the
# clip's first frame (the repository's index arithmetic wraps to the clip's
# last frames instead).
_base_ = [
    '../_base_/models/tcb_upernet_hiera-s.py',
    '../_base_/datasets/ruralscapes.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_100e-stop75e.py'
]
model = _base_.video_model
train_dataloader = dict(dataset=dict(ref_offsets=[-1, -2, -3]))
