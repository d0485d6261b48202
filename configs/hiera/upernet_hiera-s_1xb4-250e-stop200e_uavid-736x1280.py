# Copyright (c) mmvseg contributors. All rights reserved.
# SSP base image model on UAVid-VDD (FraunhoferIVI/SSP
# config/image/base_uavid.yaml): SAM2 Hiera-S + UPerHead(256)
# (../_base_/models/video_upernet_hiera-s.py), trained with cross-entropy on
# the labelled frames only, full 736x1280 frames, batch 4, AdamW lr 2.5e-5,
# 2-epoch warm-up + cosine over 250 epochs stopped at 200; evaluated like
# the video models: whole val clips at 736x1280, mIoU + TC (ssp protocol,
# RAFT-large, 20 iterations). Weights (local files only):
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_small.pt checkpoints/sam2_hiera-s.pth
#   python tools/model_converters/raft2torchvision.py \
#       raft-things.pth checkpoints/raft_large_things.pth
# Train: python tools/train.py CONFIG  (-> work_dirs/<config>/epoch_200.pth,
# the image model of
# configs/ssp/ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py).
_base_ = [
    '../_base_/models/video_upernet_hiera-s.py',
    '../_base_/datasets/uavid_vdd.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
data_preprocessor = dict(size=_base_.image_size)
model = dict(
    data_preprocessor=data_preprocessor,
    image_model=dict(decode_head=dict(num_classes=_base_.num_classes)))
train_dataloader = dict(
    dataset=dict(ref_offsets=[], pipeline=_base_.image_train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
