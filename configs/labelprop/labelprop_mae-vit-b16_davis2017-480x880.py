# Copyright (c) mmvseg contributors. All rights reserved.
# MAE ViT-B/16 (facebookresearch/mae pre-training checkpoint) with CatMAE's
# ViT-B/16 preset (T 0.7, k 8, r 18, n 20) on the 480x880 copy of DAVIS-2017
# val (CatMAE protocol, downstream/davis2017-seg/DAVIS.md). No verified
# reference number (the CatMAE paper's table could not be checked).
# Weights:
#   python tools/model_converters/vit2mmvseg.py --source mae --trusted \
#       mae_pretrain_vit_base.pth checkpoints/mae_vit-b16.pth
_base_ = './labelprop_catmae-vit-s16_davis2017-480x880.py'
model = dict(backbone=dict(arch='vit_base_patch16'))
