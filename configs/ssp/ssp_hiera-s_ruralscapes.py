# Copyright (c) mmvseg contributors. All rights reserved.
# SSP on RuralScapes, the paper's model (methods.md §1.3-§1.4, §1.7;
# FraunhoferIVI/SSP config/video/ssp_rural.yaml): SSP of ssp_hiera-s_uavid.py
# (image model fine-tuned with the rest, similarity head, registration,
# CE + 0.5 * L_tc, 736x736 training crops, evaluation; weights as there)
# with 12 classes, on RuralScapes (../_base_/datasets/ruralscapes.py),
# trained with the cosine over 100 epochs stopped at 75
# (../_base_/schedules/schedule_adamw-cos_100e-stop75e.py), from the trained
# RuralScapes image model
# (configs/hiera/upernet_hiera-s_1xb4-100e-stop75e_ruralscapes-736x1280.py).
_base_ = ['./ssp_hiera-s_uavid.py']
image_model_checkpoint = ('work_dirs/upernet_hiera-s_1xb4-100e-stop75e_'
                          'ruralscapes-736x1280/epoch_75.pth')
num_classes = 12
image_model = dict(
    decode_head=dict(num_classes=num_classes),
    init_cfg=dict(checkpoint=image_model_checkpoint))
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
