# Copyright (c) mmvseg contributors. All rights reserved.
# RuralScapes at full size for the KD teacher (FraunhoferIVI/SSP
# config/image/teacher_rural.yaml): the data of ruralscapes.py read as
# uavid_vdd_1440x1440.py reads UAVid-VDD (``data/``, the labelled frames
# alone, random 1440x1440 crops, evaluation at 1440x2560).
_base_ = ['./uavid_vdd_1440x1440.py']
dataset_type = 'RuralScapesDataset'
data_root = 'data/ruralscapes'
num_classes = 12
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
