# ESPNetv2 (s = 1.0) with the authors' Cityscapes weights (sacmehta/EdgeNets
# espnetv2_s_1.0_city_1024x512.pth, converted by
# tools/model_converters/espnetv2_2mmvseg.py); everything else as s = 2.0.
_base_ = ['./espnetv2_s2.0_cityscapes-1024x512.py']
model = dict(
    image_model=dict(
        backbone=dict(scale=1.0),
        decode_head=dict(in_channels=[32, 64, 128, 256])))
