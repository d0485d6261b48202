# Copyright (c) mmvseg contributors. All rights reserved.
# DFF as FraunhoferIVI/SSP builds it for the paper (config/video/
# dff_uavid.yaml: model_name dff2, train_flow true, flow_iters 8,
# k_interval 8, flow_mode bilinear; models/video/models_consistency.py
# DFF2Wrapper):
# - image model and flow (RAFT-large, trained end to end):
#   raft_video_upernet_hiera-s.py;
# - a key frame every 8 frames runs the image model and keeps the UPerHead
#   feature before its classifier (256 channels, stride 4); the other frames
#   warp the previous frame's propagated feature with f_{t->t-1} resized to
#   stride 4 (x 1/4) and run the classifier only; the repository's
#   align_corners=False bilinear warp;
# - loss: CE on the propagated logits of t from t-1 (const_loss_lb: 0).
_base_ = ['./raft_video_upernet_hiera-s.py']
model = dict(
    type='DFF',
    key_interval=8,
    propagation='previous',
    warp_mode='bilinear',
    legacy_grid=True)
