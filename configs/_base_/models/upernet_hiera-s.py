# Copyright (c) mmvseg contributors. All rights reserved.
# SSP base image model (FraunhoferIVI/SSP models/image/models.py
# HieraSamUpernetImageModel, models/image/upernet.py): SAM2 Hiera-S trunk
# (timm sam2_hiera_small, four stages at strides 4/8/16/32) + mmseg UPerHead
# with 256 channels, no dropout and no auxiliary head; 33.947 M + 9.224 M
# parameters for 8 classes (the paper's "Base Image Model 43.17M").
# Weights: convert SAM 2.0's sam2_hiera_small.pt with
# tools/model_converters/sam2_hiera2mmvseg.py, then set
# model.backbone.init_cfg = dict(type='Pretrained', checkpoint=PATH,
#                                prefix='backbone.')
# (video_upernet_hiera-s.py does).
# Input: BGR images as loaded by mmcv, normalised with the ImageNet RGB
# mean/std. Use H and W multiples of 32 (736x1280 and 736x736 are);
# SAM2Hiera raises a ValueError for sizes it cannot take.
# Logits: the head predicts at stride 4; the paper upsamples them to the
# input size bicubically (F.interpolate(mode='bicubic',
# align_corners=False)) before the loss and fusion, mmseg bilinearly; the
# SSP repo notes both give practically the same results (mmvseg video
# segmentors: logits_upsample='bicubic').
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SAM2Hiera',
        arch='sam2_hiera_small',
        drop_path_rate=0.0,
        init_cfg=None),
    decode_head=dict(
        type='UPerHead',
        in_channels=[96, 192, 384, 768],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=256,
        dropout_ratio=0.0,
        num_classes=8,  # placeholder: set by the dataset config
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
