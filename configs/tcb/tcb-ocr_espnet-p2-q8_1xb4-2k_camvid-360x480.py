# Copyright (c) mmvseg contributors. All rights reserved.
# TCB-OCR on the ESPNet CamVid image model, the CamVid counterpart of the
# paper's baseline (FraunhoferIVI/SSP models/video/models_consistency.py
# TCBWrapper, models/video/modules.py Clip_OCR_Block), trained and tested
# like configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py (its data,
# schedule and evaluation: the CamVid train split, 2k iterations, the 15 Hz
# val clip with mIoU + TC on OpenCV DIS flow):
# - image model: the author's ESPNet weights, fine-tuned with the rest (the
#   method trains the image model; SSP's CamVid config keeps it frozen);
# - ClipOCRBlock on the last ESPNet encoder level (256 channels, stride 8)
#   of frames t, t-1, t-2, t-3, key channels 128, fused into that level by
#   a 1x1 conv (512 -> 256); the first three frames of a clip use the image
#   model;
# - training items: each labelled frame t with t-1, t-2, t-3 (clamped to the
#   video's first frame);
# - loss: CE on t.
# Convert the weights first (configs/espnet/README.md).
_base_ = ['../espnet/espnet_p2-q8_camvid-360x480.py']
image_model_checkpoint = 'checkpoints/espnet_p2-q8_camvid-360x480.pth'
model = dict(
    type='TCB',
    image_model=dict(
        init_cfg=dict(type='Pretrained', checkpoint=image_model_checkpoint)),
    clip_block=dict(type='ClipOCRBlock', in_channels=256, channels=256),
    ref_offsets=[-1, -2, -3],
    feature_index=-1,
    first_frames='image_model')
train_dataloader = dict(dataset=dict(ref_offsets=[-1, -2, -3]))
