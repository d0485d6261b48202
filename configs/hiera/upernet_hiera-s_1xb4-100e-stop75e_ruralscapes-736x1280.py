# Copyright (c) mmvseg contributors. All rights reserved.
# SSP base image model on RuralScapes (methods.md §1.2, §1.7;
# FraunhoferIVI/SSP config/image/base_rural.yaml): the UAVid-VDD base image
# model of upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py (model,
# weights, training frames and augmentation, evaluation) with 12 classes, on
# the RuralScapes data of ../_base_/datasets/ruralscapes.py, trained with
# the cosine over 100 epochs stopped at 75 of
# ../_base_/schedules/schedule_adamw-cos_100e-stop75e.py.
# Train: python tools/train.py CONFIG  (-> work_dirs/<config>/epoch_75.pth,
# the image model of configs/ssp/ssp_hiera-s_ruralscapes.py).
_base_ = ['./upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py']
num_classes = 12
image_model = dict(decode_head=dict(num_classes=num_classes))
model = dict(image_model=image_model)
# The values of ruralscapes.py and of the 100-epoch schedule, and the dict
# fields the UAVid config's bases filled in with their own values.
dataset_type = 'RuralScapesDataset'
data_root = 'data/ruralscapes'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
num_epochs = 100
stop_epoch = 75
param_scheduler = _base_.param_scheduler
param_scheduler[1].update(
    end=num_epochs, T_max=num_epochs - _base_.warmup_epochs)
train_cfg = dict(max_epochs=stop_epoch, val_interval=25)
