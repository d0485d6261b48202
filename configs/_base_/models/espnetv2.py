# Copyright (c) mmvseg contributors. All rights reserved.
# ESPNetv2 segmentation (Mehta et al., CVPR 2019) as in sacmehta/EdgeNets
# model/segmentation/espnetv2.py with dataset='city': the EESPNet base
# network (levels 1-4, input reinforcement) at scale s = 2.0 and the
# bottom-up decoder with efficient pyramid pooling (widths 64, 48, 32,
# projection width min(20 // 2, 16) = 10). Weights: convert the authors'
# Cityscapes checkpoints with tools/model_converters/espnetv2_2mmvseg.py.
# Input: RGB, ImageNet mean/std (the source's to_tensor + Normalize).
# 20 outputs: Cityscapes train ids 0..18 and 'background', which the source
# never trains (loss weight 0, no pixel targets it); it never wins the argmax
# on real frames, and scored on 19 classes it would count as a miss.
# The head outputs stride-2 logits; align_corners=True makes mmseg's resize
# to the input size the source's final interpolation.
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
    backbone=dict(type='ESPNetV2', scale=2.0, norm_cfg=norm_cfg),
    decode_head=dict(
        type='ESPNetV2Head',
        in_channels=[32, 128, 256, 512],
        in_index=[0, 1, 2, 3],
        input_transform='multiple_select',
        channels=10,
        decoder_channels=[64, 48, 32],
        num_classes=20,
        dropout_ratio=0.0,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
