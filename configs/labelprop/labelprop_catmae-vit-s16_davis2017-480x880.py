# Copyright (c) mmvseg contributors. All rights reserved.
# CatMAE ViT-S/16 (minhoooo1/CatMAE) with its DAVIS preset (T 0.7, k 8,
# r 18, n 20) on the 480x880 copy of DAVIS-2017 val, scored against the
# resized annotations (CatMAE protocol, downstream/davis2017-seg/DAVIS.md).
# Reported: J&F 62.5 (CatMAE README). Weights:
#   python tools/model_converters/vit2mmvseg.py --source catmae --trusted \
#       CATMAE_CHECKPOINT.pth checkpoints/catmae_vit-s16.pth
#   python tools/test.py CONFIG checkpoints/catmae_vit-s16.pth
_base_ = [
    '../_base_/models/labelprop_vit-s16.py',
    '../_base_/datasets/davis_480x880.py', '../_base_/default_runtime.py'
]
