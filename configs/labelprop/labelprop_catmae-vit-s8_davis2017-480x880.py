# Copyright (c) mmvseg contributors. All rights reserved.
# CatMAE ViT-S/8 with its own DAVIS preset (T 0.5, k 12, r 32, n 20; CatMAE
# DAVIS.md) on the 480x880 copy of DAVIS-2017 val (CatMAE protocol).
# Grid 60x110. Reported: J&F 70.4 (CatMAE README). Weights:
#   python tools/model_converters/vit2mmvseg.py --source catmae --trusted \
#       CATMAE_CHECKPOINT.pth checkpoints/catmae_vit-s8.pth
_base_ = './labelprop_catmae-vit-s16_davis2017-480x880.py'
model = dict(
    backbone=dict(arch='vit_small_patch8'),
    test_cfg=dict(temperature=0.5, topk=12, radius=32))
