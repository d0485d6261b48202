# Copyright (c) mmvseg contributors. All rights reserved.
# NetWarp as FraunhoferIVI/SSP builds it for the paper (config/video/
# netwarp_uavid.yaml: model_name netwarp, train_flow true, flow_iters 8,
# flow_mode bilinear; models/video/models_consistency.py NetWarpWrapper,
# FlowCNN):
# - image model: the SSP base image model (video_upernet_hiera-s.py), the
#   whole of it loaded from a trained checkpoint (each config sets
#   model.image_model.init_cfg.checkpoint: a VideoEncoderDecoder checkpoint
#   whose keys image_model.* are stripped) and fine-tuned; logits
#   bicubically upsampled;
# - flow f_{t->t-1}: RAFT-large, 8 updates, ImageNet-normalised inputs as
#   the repository, trained end to end, refined by NetWarpFlowCNN on
#   [f, x_{t-1}, x_t, x_{t-1} - x_t] (raft-things.pth converted by
#   tools/model_converters/raft2torchvision.py, or torchvision's
#   Raft_Large_Weights.C_T_V1 file);
# - every Hiera level of t-1 (96/192/384/768 channels) warped with the flow
#   resized to its grid (the repository's align_corners=False bilinear warp)
#   and merged per channel, w_cur * F_t + w_past * W(F_{t-1}), weights
#   initialised to 1 and 0; merged levels carried to the next frame at
#   inference;
# - loss: CE on t (const_loss_lb: 0).
_base_ = ['./video_upernet_hiera-s.py']
model = dict(
    type='NetWarp',
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
    flow_cnn=dict(type='NetWarpFlowCNN'),
    warp_mode='bilinear',
    legacy_grid=True)
