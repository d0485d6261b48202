# Copyright (c) mmvseg contributors. All rights reserved.
# TCB-OCR on UAVid-VDD, the paper's baseline (FraunhoferIVI/SSP
# config/video/tcbocr_uavid.yaml; ../_base_/models/tcb_upernet_hiera-s.py):
# - image model: the trained SAM2 Hiera-S + UPerHead base model
#   (configs/hiera/upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py),
#   loaded from its checkpoint and fine-tuned with the rest;
# - ClipOCRBlock on the last Hiera level of frames t, t-1, t-2, t-3, fused
#   into F_t^4 by a 1x1 conv; the first three frames of a clip use the image
#   model;
# - loss: CE (const_loss_lb: 0);
# - training items: the labelled frame t and t-1, t-2, t-3 (clamped to the
#   clip's first frame), random 736x736 crops, batch 4, AdamW lr 5e-5,
#   2-epoch warm-up + cosine over 250 epochs stopped at 200
#   (../_base_/datasets/uavid_vdd.py,
#   ../_base_/schedules/schedule_adamw-cos_250e-stop200e.py);
# - evaluation: whole val clips at 736x1280, causal from each clip's first
#   frame, mIoU + TC (ssp protocol, RAFT-large 20 updates).
# Weights, local files only (configs/tcb/README.md): image_model_checkpoint,
# the trained image model, a VideoEncoderDecoder checkpoint (keys
# image_model.*); RAFT-large for the TC metric
# (checkpoints/raft_large_things.pth).
_base_ = [
    '../_base_/models/tcb_upernet_hiera-s.py',
    '../_base_/datasets/uavid_vdd.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
model = _base_.video_model
train_dataloader = dict(dataset=dict(ref_offsets=[-1, -2, -3]))
