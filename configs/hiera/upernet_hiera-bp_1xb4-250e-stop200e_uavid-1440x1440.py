# Copyright (c) mmvseg contributors. All rights reserved.
# KD teacher on UAVid-VDD (FraunhoferIVI/SSP config/image/teacher_uavid.yaml):
# SAM2 Hiera-B+ + UPerHead(512) (../_base_/models/video_upernet_hiera-bp.py),
# trained like the base image model but on random 1440x1440 crops of the
# full-size 2560x1440 frames, and evaluated on whole clips at 1440x2560
# (../_base_/datasets/uavid_vdd_1440x1440.py: the converter's full-size copy
# ``data/``, not ``data_1280x736/``). Backbone weights:
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_base_plus.pt checkpoints/sam2_hiera-bp.pth
_base_ = [
    '../_base_/models/video_upernet_hiera-bp.py',
    '../_base_/datasets/uavid_vdd_1440x1440.py',
    '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
data_preprocessor = dict(size=_base_.crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    image_model=dict(decode_head=dict(num_classes=_base_.num_classes)))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
