# Copyright (c) mmvseg contributors. All rights reserved.
# SSP, the paper's model (FraunhoferIVI/SSP config/video/ssp_uavid.yaml,
# models/video/models_consistency.py ConsistencyWrapper):
# - image model: the SSP base image model (video_upernet_hiera-s.py), the
#   whole of it loaded from a trained checkpoint (each config sets
#   model.image_model.init_cfg.checkpoint: a VideoEncoderDecoder checkpoint
#   whose keys image_model.* are stripped; the SAM2 backbone file is not
#   needed) and fine-tuned with the rest; logits bicubically upsampled;
# - similarity head: ConvSimilarityHead(96) on Hiera level 1 (96 channels,
#   stride 4; backbone output 0), models/video/sim_layers.py ConvSimBlock;
# - registration: DISK (2048 keypoints) + LightGlue + RANSAC homography
#   (video_model_cfg.k_registrator_model: disk) with local weights:
#   cvlab-epfl/disk depth-save.pth and cvg/LightGlue disk_lightglue.pth;
# - loss: CE(O_t) + 0.5 * L_tc (utils/losses.py TempConstLoss,
#   const_loss_lb: 0.5) on RAFT-large flow f_{t->t-1}, 20 iterations,
#   ImageNet-normalised inputs as the repository (raft-things.pth converted
#   by tools/model_converters/raft2torchvision.py, or torchvision's
#   Raft_Large_Weights.C_T_V1 file).
_base_ = ['./video_upernet_hiera-s.py']
disk_checkpoint = 'checkpoints/disk_depth-save.pth'
lightglue_checkpoint = 'checkpoints/disk_lightglue.pth'
model = dict(
    type='SSP',
    image_model=dict(
        backbone=dict(init_cfg=None),
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='image_model.')),
    feature_index=0,
    sim_head=dict(type='ConvSimilarityHead', in_channels=96),
    registration=dict(
        type='DiskLightGlueRegistration',
        disk_weights=disk_checkpoint,
        lightglue_weights=lightglue_checkpoint,
        num_keypoints=2048),
    flow=dict(
        type='RAFTFlow', variant='large',
        checkpoint='checkpoints/raft_large_things.pth', num_flow_updates=20,
        input_mode='repo_normalized'),
    loss_tc=dict(type='TemporalConsistencyLoss', loss_weight=0.5))
