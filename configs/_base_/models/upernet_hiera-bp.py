# Copyright (c) mmvseg contributors. All rights reserved.
# KD teacher image model (FraunhoferIVI/SSP config/image/teacher_uavid.yaml,
# checkpoint_model: base_plus): SAM2 Hiera-B+ trunk (timm
# sam2_hiera_base_plus, four stages at strides 4/8/16/32) + mmseg UPerHead
# with 512 channels, no dropout and no auxiliary head; 68.676 M + 32.334 M
# parameters for 8 classes (the paper's "Teacher Model 101.01M"). Same input
# handling, weights conversion (sam2_hiera_base_plus.pt) and logit upsampling
# notes as upernet_hiera-s.py.
_base_ = ['./upernet_hiera-s.py']
model = dict(
    backbone=dict(arch='sam2_hiera_base_plus'),
    decode_head=dict(in_channels=[112, 224, 448, 896], channels=512))
