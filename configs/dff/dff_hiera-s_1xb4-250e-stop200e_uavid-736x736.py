# Copyright (c) mmvseg contributors. All rights reserved.
# DFF on UAVid-VDD, the paper's baseline (FraunhoferIVI/SSP
# config/video/dff_uavid.yaml; ../_base_/models/dff_upernet_hiera-s.py):
# - image model: the trained SAM2 Hiera-S + UPerHead base model
#   (configs/hiera/upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py),
#   loaded from its checkpoint and fine-tuned with the rest;
# - key frame every 8 frames, UPerHead feature propagated with RAFT-large
#   flow (8 updates, trained end to end), classifier only on other frames;
# - loss: CE (const_loss_lb: 0);
# - training pairs (t-1, t), t labelled, random 736x736 crops, batch 4, AdamW
#   lr 5e-5, 2-epoch warm-up + cosine over 250 epochs stopped at 200
#   (../_base_/datasets/uavid_vdd.py,
#   ../_base_/schedules/schedule_adamw-cos_250e-stop200e.py);
# - evaluation: whole val clips at 736x1280, causal from each clip's first
#   frame (a key frame), mIoU + TC (ssp protocol, RAFT-large 20 updates).
# Weights, local files only (configs/dff/README.md):
# - checkpoints/raft_large_things.pth (RAFT-large, torchvision layout);
# - image_model_checkpoint: the trained image model, a VideoEncoderDecoder
#   checkpoint (keys image_model.*).
_base_ = [
    '../_base_/models/dff_upernet_hiera-s.py',
    '../_base_/datasets/uavid_vdd.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
model = _base_.video_model
