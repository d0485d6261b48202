# Copyright (c) mmvseg contributors. All rights reserved.
# SSP on UAVid-VDD, the paper's model (FraunhoferIVI/SSP
# config/video/ssp_uavid.yaml; ../_base_/models/ssp_upernet_hiera-s.py):
# - image model: the trained SAM2 Hiera-S + UPerHead base model
#   (configs/hiera/upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py),
#   loaded from its checkpoint and fine-tuned with the rest (not frozen);
#   logits bicubically upsampled;
# - similarity head ConvSimilarityHead(96) on Hiera level 1 (stride 4);
# - registration: DISK (2048 keypoints) + LightGlue + RANSAC homography;
# - loss: CE(O_t) + 0.5 * L_tc, with RAFT-large (20 iterations,
#   ImageNet-normalised inputs as the repository) for the flow f_{t->t-1};
# - training pairs (t-1, t), t labelled, random 736x736 crops, batch 4, AdamW
#   lr 5e-5, 2-epoch warm-up + cosine over 250 epochs stopped at 200
#   (../_base_/datasets/uavid_vdd.py,
#   ../_base_/schedules/schedule_adamw-cos_250e-stop200e.py);
# - evaluation: whole val clips at 736x1280, causal from each clip's first
#   frame, mIoU + TC (ssp protocol, RAFT-large 20 iterations).
# Weights, local files only (configs/ssp/README.md):
# - checkpoints/disk_depth-save.pth: cvlab-epfl/disk depth-save.pth;
# - checkpoints/disk_lightglue.pth: cvg/LightGlue disk_lightglue.pth;
# - checkpoints/raft_large_things.pth: raft-things.pth converted by
#   tools/model_converters/raft2torchvision.py (or torchvision's
#   Raft_Large_Weights.C_T_V1 file);
# - image_model_checkpoint: the trained image model, a
#   VideoEncoderDecoder checkpoint (keys image_model.*).
_base_ = [
    '../_base_/models/ssp_upernet_hiera-s.py',
    '../_base_/datasets/uavid_vdd.py', '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
model = _base_.video_model
