# Copyright (c) mmvseg contributors. All rights reserved.
# DFF on the ESPNet CamVid image model, the CamVid counterpart of the paper's
# baseline (FraunhoferIVI/SSP models/video/models_consistency.py
# DFF2Wrapper), trained and tested like
# configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py (its data, schedule
# and evaluation: (t-1, t) pairs of the CamVid train split, 2k iterations,
# the 15 Hz val clip with mIoU + TC on OpenCV DIS flow):
# - image model: the author's ESPNet weights, fine-tuned (the method trains
#   the image model; SSP's CamVid config keeps it frozen);
# - key frame every 8 frames; ESPNetHead's feature before its classifier is
#   at stride 2 (12 channels), so the flow is resized to half the frame
#   size (x 1/2) and its cls_seg, a 2x up-convolution, gives full-size
#   logits;
# - flow: OpenCV DIS (no weights, not trained);
# - loss: CE on the propagated logits of t from t-1.
# Convert the weights first (configs/espnet/README.md).
_base_ = ['../espnet/espnet_p2-q8_camvid-360x480.py']
image_model_checkpoint = 'checkpoints/espnet_p2-q8_camvid-360x480.pth'
model = dict(
    type='DFF',
    image_model=dict(
        init_cfg=dict(type='Pretrained', checkpoint=image_model_checkpoint)),
    flow=dict(type='DISFlow'),
    key_interval=8,
    propagation='previous',
    warp_mode='bilinear',
    legacy_grid=True)
