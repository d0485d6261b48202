# Copyright (c) mmvseg contributors. All rights reserved.
# KD teacher on UAVid-VDD (methods.md §1.2, §1.5, §1.7; FraunhoferIVI/SSP
# config/image/teacher_uavid.yaml): SAM2 Hiera-B+ + UPerHead(512)
# (../_base_/models/upernet_hiera-bp.py), trained like the base image model
# but on random 1440x1440 crops of the full-size 2560x1440 frames, and
# evaluated on whole clips at 1440x2560 (the repository evaluates every model
# at its config crop_size). Reads the converter's full-size copy ``data/``,
# not ``data_1280x736/``. Backbone weights:
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_base_plus.pt checkpoints/sam2_hiera-bp.pth
_base_ = ['./upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py']
sam2_checkpoint = 'checkpoints/sam2_hiera-bp.pth'
crop_size = (1440, 1440)
data_prefix = dict(img_path='data', seg_map_path='data')
model = dict(
    data_preprocessor=dict(size=crop_size),
    image_model=dict(
        backbone=dict(
            arch='sam2_hiera_base_plus',
            init_cfg=dict(checkpoint=sam2_checkpoint)),
        decode_head=dict(in_channels=[112, 224, 448, 896], channels=512)))
teacher_train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
            dict(type='VideoPhotoMetricDistortion'),
        ]),
    dict(type='PackVideoSegInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=data_prefix, pipeline=teacher_train_pipeline))
val_dataloader = dict(dataset=dict(data_prefix=data_prefix))
test_dataloader = val_dataloader
