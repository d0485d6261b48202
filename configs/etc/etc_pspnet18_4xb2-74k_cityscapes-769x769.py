# Copyright (c) mmvseg contributors. All rights reserved.
# ETC with the temporal loss only, the repository's released run
# (irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
# config/cityscapes/cityscapes_pspnet18_flow.yaml, tool/train_with_flow.py):
# - PSPNet18 (../_base_/models/pspnet18.py), ImageNet ResNet-18 from a local
#   path (model.image_model.backbone.init_cfg);
# - items: the annotated frame of a Cityscapes train snippet and one frame
#   at an offset drawn from {+3, +2, +1, -1, -2}, the same augmentation for
#   both: random scale 0.5-2.0, rotation +-10 deg (p 0.5), Gaussian blur
#   (p 0.5), flip, 769x769 crop (padding: mean image / 255 label);
# - L = CriterionDSN (class-weighted CE + 0.4 aux) + 0.1 * temporal loss on
#   the main logits, flow f_{t->o} from OpenCV DIS (the repository's
#   FlowNet2 weights are not available offline; any estimator of mmvseg fits);
# - SGD momentum 0.9, weight decay 1e-4, lr 0.01 for the backbone and 0.1 for
#   the heads, poly decay (power 0.9) over 74,400 iterations, batch 8
#   (4 GPUs x 2);
# - inference: PSPNet18 alone, frame by frame.
_base_ = [
    '../_base_/models/pspnet18.py', '../_base_/datasets/cityscapes_seq.py',
    '../_base_/default_runtime.py'
]
crop_size = (769, 769)
data_preprocessor = dict(
    _base_.data_preprocessor,
    type='VideoSegDataPreProcessor',
    size=crop_size)
model = dict(
    type='ETC',
    data_preprocessor=data_preprocessor,
    image_model=_base_.model,
    flow=dict(type='DISFlow'),
    loss_tl=dict(type='TemporalMotionLoss', loss_weight=0.1))
del _base_.model
train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(
                type='RandomResize',
                scale=(2048, 1024),
                ratio_range=(0.5, 2.0),
                keep_ratio=True),
            dict(
                type='RandomRotate',
                prob=0.5,
                degree=10,
                pad_val=(103.53, 116.28, 123.675),  # BGR ImageNet mean
                seg_pad_val=255),
            dict(type='RandomGaussianBlur', kernel_size=5, prob=0.5),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RandomCrop', crop_size=crop_size),
        ]),
    dict(type='PackVideoSegInputs'),
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        ref_offsets=dict(_delete_=True, choices=[3, 2, 1, -1, -2], num=1),
        pipeline=train_pipeline))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'image_model.decode_head': dict(lr_mult=10.),
            'image_model.auxiliary_head': dict(lr_mult=10.)
        }))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0,
        power=0.9,
        begin=0,
        end=74400,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=74400, val_interval=7440)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=7440))
