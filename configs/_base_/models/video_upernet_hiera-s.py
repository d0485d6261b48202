# Copyright (c) mmvseg contributors. All rights reserved.
# The SSP base image model of upernet_hiera-s.py run on clips, frame by frame,
# by VideoEncoderDecoder, so that it is trained and evaluated like the video
# models (whole clips, mIoU + TC), with the image model's normalisation and
# the paper's bicubic logit upsampling in the loss and the prediction
# (FraunhoferIVI/SSP config/image/base_uavid.yaml, model_cfg.upsampling:
# bicubic). Backbone from the
# SAM 2.0 Hiera-S weights:
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_small.pt checkpoints/sam2_hiera-s.pth
# Each config sets model.data_preprocessor.size (a size of its dataset base)
# and the number of classes.
_base_ = ['./upernet_hiera-s.py']
_base_.model.backbone.init_cfg = dict(
    type='Pretrained',
    checkpoint='checkpoints/sam2_hiera-s.pth',
    prefix='backbone.')
data_preprocessor = dict(
    _base_.data_preprocessor, type='VideoSegDataPreProcessor')
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=_base_.model,
    logits_upsample='bicubic')
del _base_.model
