# Copyright (c) mmvseg contributors. All rights reserved.
# The ESPNetv2 image model of espnetv2.py run on clips, frame by frame, by
# VideoEncoderDecoder, with the image model's normalisation.
_base_ = ['./espnetv2.py']
data_preprocessor = dict(
    _base_.data_preprocessor, type='VideoSegDataPreProcessor')
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=_base_.model)
del _base_.model
