# Copyright (c) mmvseg contributors. All rights reserved.
# NetWarp on the ESPNet CamVid image model, the CamVid counterpart of the
# paper's baseline (FraunhoferIVI/SSP models/video/models_consistency.py
# NetWarpWrapper, FlowCNN), trained and tested like
# configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py (its data, schedule
# and evaluation: (t-1, t) pairs of the CamVid train split, 2k iterations,
# the 15 Hz val clip with mIoU + TC on OpenCV DIS flow):
# - image model: the author's ESPNet weights, fine-tuned with the rest (the
#   method trains the image model; SSP's CamVid config keeps it frozen);
# - flow: OpenCV DIS (no weights, not trained) refined by NetWarpFlowCNN
#   (trained) on the network frames;
# - the three ESPNet encoder levels (19/131/256 channels, strides 2/4/8)
#   of t-1 warped and merged per channel with those of t (weights
#   initialised to 1 and 0); merged levels carried forward at inference;
# - loss: CE on t.
# Convert the weights first (configs/espnet/README.md).
_base_ = ['../espnet/espnet_p2-q8_camvid-360x480.py']
image_model_checkpoint = 'checkpoints/espnet_p2-q8_camvid-360x480.pth'
model = dict(
    type='NetWarp',
    image_model=dict(
        init_cfg=dict(type='Pretrained', checkpoint=image_model_checkpoint)),
    flow=dict(type='DISFlow'),
    flow_cnn=dict(type='NetWarpFlowCNN'),
    warp_mode='bilinear',
    legacy_grid=True)
