# Copyright (c) mmvseg contributors. All rights reserved.
# NetWarp as FraunhoferIVI/SSP builds it for the paper (config/video/
# netwarp_uavid.yaml: model_name netwarp, train_flow true, flow_iters 8,
# flow_mode bilinear; models/video/models_consistency.py NetWarpWrapper,
# FlowCNN):
# - image model and flow f_{t->t-1} (RAFT-large, trained end to end):
#   raft_video_upernet_hiera-s.py; the flow is refined by NetWarpFlowCNN on
#   [f, x_{t-1}, x_t, x_{t-1} - x_t];
# - every Hiera level of t-1 (96/192/384/768 channels) warped with the flow
#   resized to its grid (the repository's align_corners=False bilinear warp)
#   and merged per channel, w_cur * F_t + w_past * W(F_{t-1}), weights
#   initialised to 1 and 0; merged levels carried to the next frame at
#   inference;
# - loss: CE on t (const_loss_lb: 0).
_base_ = ['./raft_video_upernet_hiera-s.py']
model = dict(
    type='NetWarp',
    flow_cnn=dict(type='NetWarpFlowCNN'),
    warp_mode='bilinear',
    legacy_grid=True)
