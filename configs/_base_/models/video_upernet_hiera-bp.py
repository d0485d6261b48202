# Copyright (c) mmvseg contributors. All rights reserved.
# The KD teacher image model (Hiera-B+ + UPerHead(512), upernet_hiera-bp.py)
# run on clips as video_upernet_hiera-s.py runs the base image model, its
# backbone from the SAM 2.0 Hiera-B+ weights:
#   python tools/model_converters/sam2_hiera2mmvseg.py \
#       sam2_hiera_base_plus.pt checkpoints/sam2_hiera-bp.pth
_base_ = ['./video_upernet_hiera-s.py']
model = dict(
    image_model=dict(
        backbone=dict(
            arch='sam2_hiera_base_plus',
            init_cfg=dict(checkpoint='checkpoints/sam2_hiera-bp.pth')),
        decode_head=dict(in_channels=[112, 224, 448, 896], channels=512)))
