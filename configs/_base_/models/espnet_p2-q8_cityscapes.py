# Copyright (c) mmvseg contributors. All rights reserved.
# ESPNet (Mehta et al., ECCV 2018), p=2, q=8, with the decoder of
# sacmehta/ESPNet test/Model.py, the variant of the authors' Cityscapes
# checkpoint (pretrained/decoder/espnet_p_2_q_8.pth; convert it with
# tools/model_converters/espnet2mmvseg.py): its last fusion takes the raw
# 16-channel level-1 convolution (the encoder's fourth output) instead of the
# 19-channel level-1 feature.
# Input: BGR images as loaded by mmcv/OpenCV, normalised as the authors'
# test/VisualizeResults.py does: the Cityscapes BGR mean/std, then / 255
# (hence std * 255). H and W must be multiples of 8 (1024x512 is).
# 20 outputs: Cityscapes train ids 0..18 and 19 "void", which the authors
# trained as a 20th class (label 255 mapped to 19, no ignore index); scored
# on 19 classes, a void prediction on a labelled pixel is a miss.
_base_ = ['./espnet_p2-q8.py']
data_preprocessor = dict(
    mean=[72.3923111, 82.90893555, 73.15840149],
    std=[11556.4014825, 11768.98773285, 11453.28243285])
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(out_level1_conv=True),
    decode_head=dict(
        in_channels=[16, 131, 256],
        in_index=[3, 1, 2],
        channels=20,
        num_classes=20))
