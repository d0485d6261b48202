# Copyright (c) mmvseg contributors. All rights reserved.
# The Cityscapes ESPNet image model of espnet_p2-q8_cityscapes.py run on
# clips, frame by frame, by VideoEncoderDecoder, with the image model's
# normalisation.
_base_ = ['./espnet_p2-q8_cityscapes.py']
data_preprocessor = dict(
    _base_.data_preprocessor, type='VideoSegDataPreProcessor')
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=_base_.model)
del _base_.model
