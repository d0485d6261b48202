# Copyright (c) mmvseg contributors. All rights reserved.
# ESPNet (Mehta et al., ECCV 2018), p=2, q=8, with the decoder of
# sacmehta/ESPNet train/Model.py. Weights: convert the author's CamVid
# checkpoint with tools/model_converters/espnet2mmvseg.py.
# Input: BGR images as loaded by mmcv/OpenCV; the source normalises with the
# CamVid train-split BGR mean/std and then divides by 255, hence std * 255.
# H and W must be multiples of 8 (CamVid 360x480 is).
# 12 outputs: ids 0..10 are the CamVid classes, 11 is "void" (trained as an
# ordinary class by the source); datasets map void to 255 (ignore_index).
norm_cfg = dict(type='BN', eps=1e-3, requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[110.331, 108.409, 105.033],
    std=[18392.06, 18536.14, 17825.61],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(type='ESPNetEncoder', p=2, q=8, norm_cfg=norm_cfg),
    decode_head=dict(
        type='ESPNetHead',
        in_channels=[19, 131, 256],
        in_index=[0, 1, 2],
        input_transform='multiple_select',
        channels=12,
        num_classes=12,
        dropout_ratio=0.0,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
