# Copyright (c) mmvseg contributors. All rights reserved.
# SSP on UAVid-VDD, the paper's model (methods.md §1.3-§1.4, §1.7;
# FraunhoferIVI/SSP config/video/ssp_uavid.yaml):
# - image model: the trained SAM2 Hiera-S + UPerHead base model
#   (configs/hiera/upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py),
#   loaded from its checkpoint and fine-tuned with the rest (not frozen);
#   logits bicubically upsampled to the input size;
# - similarity head: ConvSimilarityHead(96) on Hiera level 1 (96 channels,
#   stride 4; backbone output 0);
# - registration: DISK (2048 keypoints) + LightGlue + RANSAC homography;
# - loss: CE(O_t) + 0.5 * L_tc, with RAFT-large (20 iterations,
#   ImageNet-normalised inputs as the repository) for the flow f_{t->t-1};
# - training pairs (t-1, t), t labelled, random 736x736 crops, batch 4, AdamW
#   lr 5e-5, 2-epoch warm-up + cosine over 250 epochs stopped at 200;
# - evaluation: whole val clips at 736x1280, causal from each clip's first
#   frame, mIoU + TC (ssp protocol, RAFT-large 20 iterations).
# Weights, local files only (configs/ssp/README.md):
# - disk_checkpoint: cvlab-epfl/disk depth-save.pth;
# - lightglue_checkpoint: cvg/LightGlue disk_lightglue.pth;
# - raft_checkpoint: raft-things.pth converted by
#   tools/model_converters/raft2torchvision.py (or torchvision's
#   Raft_Large_Weights.C_T_V1 file);
# - image_model_checkpoint: the trained image model, a
#   VideoEncoderDecoder checkpoint (keys image_model.*).
_base_ = [
    '../_base_/models/upernet_hiera-s.py', '../_base_/datasets/uavid_vdd.py',
    '../_base_/default_runtime_epoch.py',
    '../_base_/schedules/schedule_adamw-cos_250e-stop200e.py'
]
image_model_checkpoint = ('work_dirs/upernet_hiera-s_1xb4-250e-stop200e_'
                          'uavid-736x1280/epoch_200.pth')
disk_checkpoint = 'checkpoints/disk_depth-save.pth'
lightglue_checkpoint = 'checkpoints/disk_lightglue.pth'
raft_checkpoint = 'checkpoints/raft_large_things.pth'
num_classes = 8
image_model = _base_.model
image_model.decode_head.num_classes = num_classes
# the whole image model comes from image_model_checkpoint (its keys
# image_model.* stripped); the SAM2 backbone file is not needed
image_model.init_cfg = dict(
    type='Pretrained', checkpoint=image_model_checkpoint,
    prefix='image_model.')
del _base_.model
data_preprocessor = _base_.data_preprocessor
data_preprocessor.update(
    type='VideoSegDataPreProcessor', size=_base_.crop_size)
raft = dict(
    type='RAFTFlow',
    variant='large',
    checkpoint=raft_checkpoint,
    num_flow_updates=20,
    input_mode='repo_normalized')
model = dict(
    type='SSP',
    data_preprocessor=data_preprocessor,
    image_model=image_model,
    logits_upsample='bicubic',
    feature_index=0,
    sim_head=dict(type='ConvSimilarityHead', in_channels=96),
    registration=dict(
        type='DiskLightGlueRegistration',
        disk_weights=disk_checkpoint,
        lightglue_weights=lightglue_checkpoint,
        num_keypoints=2048),
    flow=raft,
    loss_tc=dict(type='TemporalConsistencyLoss', loss_weight=0.5))
# (t-1, t) pairs of the dataset config (ref_offsets=[-1], video
# augmentation, 736x736 crops); one epoch = every labelled frame once,
# shuffled, incomplete last batch dropped (methods.md §1.7)
train_dataloader = dict(
    batch_size=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True)
val_evaluator = [
    dict(type='VideoIoUMetric', iou_metrics=['mIoU']),
    dict(type='TemporalConsistencyMetric', protocol='ssp', flow=raft)
]
test_evaluator = val_evaluator
