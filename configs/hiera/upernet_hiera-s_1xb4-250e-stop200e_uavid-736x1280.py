# Copyright (c) mmvseg contributors. All rights reserved.
# SSP base image model on UAVid-VDD (methods.md §1.2, §1.7; FraunhoferIVI/SSP
# config/image/base_uavid.yaml): SAM2 Hiera-S + UPerHead(256), trained with
# cross-entropy on the labelled frames only, full 736x1280 frames, batch 4,
# AdamW lr 2.5e-5, 2-epoch warm-up + cosine over 250 epochs stopped at 200.
# Wrapped in VideoEncoderDecoder so that it is evaluated like the video
# models: whole val clips at 736x1280, mIoU + TC (ssp protocol, RAFT-large,
# 20 iterations; methods.md §1.9). Weights (local files only):
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_small.pt checkpoints/sam2_hiera-s.pth
#   python tools/model_converters/raft2torchvision.py \
#       raft-things.pth checkpoints/raft_large_things.pth
# Train: python tools/train.py CONFIG  (-> work_dirs/<config>/epoch_200.pth,
# the image model of configs/ssp/ssp_hiera-s_uavid.py).
_base_ = [
    '../_base_/models/upernet_hiera-s.py', '../_base_/datasets/uavid_vdd.py',
    '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
sam2_checkpoint = 'checkpoints/sam2_hiera-s.pth'
# torchvision raft_large layout (raft2torchvision.py output, or torchvision's
# Raft_Large_Weights.C_T_V1 file), for the TC metric
raft_checkpoint = 'checkpoints/raft_large_things.pth'
image_size = (736, 1280)  # (H, W) of the data_1280x736 frames
num_classes = 8
image_model = _base_.model
image_model.backbone.init_cfg = dict(
    type='Pretrained', checkpoint=sam2_checkpoint, prefix='backbone.')
image_model.decode_head.num_classes = num_classes
del _base_.model
data_preprocessor = _base_.data_preprocessor
data_preprocessor.update(type='VideoSegDataPreProcessor', size=image_size)
# logits_upsample='bicubic' is the repository's upsampling; note that
# VideoEncoderDecoder currently runs the image model's own loss/inference,
# which upsample bilinearly (equivalent per the repository's comment).
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=image_model,
    logits_upsample='bicubic')
# The repository's image augmentation (albumentations: flip, perspective /
# shift-scale-rotate, colour, noise; methods.md §1.7) approximated with
# mmseg transforms: flip and photometric distortion on the full frame.
image_train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='VideoPhotoMetricDistortion'),
        ]),
    dict(type='PackVideoSegInputs'),
]
# labelled frames only (no reference frame), one epoch = every labelled
# frame once, shuffled, incomplete last batch dropped (methods.md §1.7)
train_dataloader = dict(
    batch_size=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True,
    dataset=dict(ref_offsets=[], pipeline=image_train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
raft_tc = dict(
    type='RAFTFlow',
    variant='large',
    checkpoint=raft_checkpoint,
    num_flow_updates=20,
    input_mode='repo_normalized')
val_evaluator = [
    dict(type='VideoIoUMetric', iou_metrics=['mIoU']),
    dict(type='TemporalConsistencyMetric', protocol='ssp', flow=raft_tc)
]
test_evaluator = val_evaluator
