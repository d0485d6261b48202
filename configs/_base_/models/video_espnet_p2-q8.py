# Copyright (c) mmvseg contributors. All rights reserved.
# The ESPNet image model of espnet_p2-q8.py run on clips, frame by frame, by
# VideoEncoderDecoder, with the image model's normalisation. Each config sets
# model.data_preprocessor.size (a size of its dataset base).
_base_ = ['./espnet_p2-q8.py']
data_preprocessor = dict(
    _base_.data_preprocessor, type='VideoSegDataPreProcessor')
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    image_model=_base_.model)
del _base_.model
