# Copyright (c) mmvseg contributors. All rights reserved.
# DINO ViT-S/16 (facebookresearch/dino) run with the videowalk rules and
# CatMAE's ViT-S/16 preset (T 0.7, k 8, r 18, n 20) on the 480x880 copy of
# DAVIS-2017 val. This is the CatMAE protocol, not DINO's own evaluation
# (square window on frame 0 too, T 0.1, k 5, n 7, 480 x floor-to-64 input;
# facebookresearch/dino eval_video_segmentation.py), so DINO's 61.8 (DINO
# paper, Caron et al. 2021, Table 5) is not its target.
# Weights (a plain hub state dict or a training checkpoint's "teacher"):
#   python tools/model_converters/vit2mmvseg.py --source dino \
#       dino_deitsmall16_pretrain.pth checkpoints/dino_vit-s16.pth
_base_ = './labelprop_catmae-vit-s16_davis2017-480x880.py'
