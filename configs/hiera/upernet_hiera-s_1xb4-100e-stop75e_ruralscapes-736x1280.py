# Copyright (c) mmvseg contributors. All rights reserved.
# SSP base image model on RuralScapes (FraunhoferIVI/SSP
# config/image/base_rural.yaml): the model, weights, training frames,
# augmentation and evaluation of
# upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py, with 12 classes, on
# RuralScapes (../_base_/datasets/ruralscapes.py), trained with the cosine
# over 100 epochs stopped at 75
# (../_base_/schedules/schedule_adamw-cos_100e-stop75e.py).
# Train: python tools/train.py CONFIG  (-> work_dirs/<config>/epoch_75.pth,
# the image model of
# configs/ssp/ssp_hiera-s_1xb4-100e-stop75e_ruralscapes-736x736.py).
_base_ = [
    '../_base_/models/video_upernet_hiera-s.py',
    '../_base_/datasets/ruralscapes.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_100e-stop75e.py'
]
data_preprocessor = dict(size=_base_.image_size)
model = dict(
    data_preprocessor=data_preprocessor,
    image_model=dict(decode_head=dict(num_classes=_base_.num_classes)))
train_dataloader = dict(
    dataset=dict(ref_offsets=[], pipeline=_base_.image_train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
