# Copyright (c) mmvseg contributors. All rights reserved.
# UAVid-VDD at full size for the KD teacher (FraunhoferIVI/SSP
# config/image/teacher_uavid.yaml): the converter's 2560x1440 copy
# ``data/`` instead of ``data_1280x736/``, the labelled frames alone
# (``ref_offsets=[]``) with the image models' flip and photometric
# distortion and random 1440x1440 crops; evaluation on whole val clips at
# 1440x2560 (the repository evaluates every model at its config crop_size).
# Everything else as uavid_vdd.py.
_base_ = ['./uavid_vdd.py']
crop_size = (1440, 1440)
data_prefix = dict(img_path='data', seg_map_path='data')
train_pipeline = [
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
    dataset=dict(
        data_prefix=data_prefix, ref_offsets=[], pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_prefix=data_prefix))
test_dataloader = val_dataloader
