# Copyright (c) mmvseg contributors. All rights reserved.
# DFF as FraunhoferIVI/SSP builds it for the paper (config/video/
# dff_uavid.yaml: model_name dff2, train_flow true, flow_iters 8,
# k_interval 8, flow_mode bilinear; models/video/models_consistency.py
# DFF2Wrapper):
# - image model: the SSP base image model (video_upernet_hiera-s.py), the
#   whole of it loaded from a trained checkpoint (each config sets
#   model.image_model.init_cfg.checkpoint: a VideoEncoderDecoder checkpoint
#   whose keys image_model.* are stripped) and fine-tuned; logits
#   bicubically upsampled;
# - a key frame every 8 frames runs the image model and keeps the UPerHead
#   feature before its classifier (256 channels, stride 4); the other frames
#   warp the previous frame's propagated feature with f_{t->t-1} resized to
#   stride 4 (x 1/4) and run the classifier only; the repository's
#   align_corners=False bilinear warp;
# - flow: RAFT-large, 8 updates, ImageNet-normalised inputs as the
#   repository, trained end to end (raft-things.pth converted by
#   tools/model_converters/raft2torchvision.py, or torchvision's
#   Raft_Large_Weights.C_T_V1 file);
# - loss: CE on the propagated logits of t from t-1 (const_loss_lb: 0).
_base_ = ['./video_upernet_hiera-s.py']
model = dict(
    type='DFF',
    image_model=dict(
        backbone=dict(init_cfg=None),
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='image_model.')),
    flow=dict(
        type='RAFTFlow',
        variant='large',
        checkpoint='checkpoints/raft_large_things.pth',
        num_flow_updates=8,
        input_mode='repo_normalized',
        trainable=True),
    key_interval=8,
    propagation='previous',
    warp_mode='bilinear',
    legacy_grid=True)
