# Copyright (c) mmvseg contributors. All rights reserved.
# The model part shared by the flow-based baselines of the SSP paper (DFF,
# NetWarp) as FraunhoferIVI/SSP builds them (config/video/*_uavid.yaml:
# train_flow true, flow_iters 8):
# - image model: the SSP base image model (video_upernet_hiera-s.py), the
#   whole of it loaded from a trained checkpoint (each config sets
#   model.image_model.init_cfg.checkpoint: a VideoEncoderDecoder checkpoint
#   whose keys image_model.* are stripped) and fine-tuned; logits
#   bicubically upsampled;
# - flow f_{t->t-1}: RAFT-large, 8 updates, ImageNet-normalised inputs as
#   the repository, trained end to end (raft-things.pth converted by
#   tools/model_converters/raft2torchvision.py, or torchvision's
#   Raft_Large_Weights.C_T_V1 file).
_base_ = ['./video_upernet_hiera-s.py']
model = dict(
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
        trainable=True))
