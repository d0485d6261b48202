# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on ViT patch tokens (final LayerNorm, CLS dropped,
# position embeddings interpolated as DINO/CatMAE do: minhoooo1/CatMAE
# downstream/davis2017-seg/code/models_mae.py, facebookresearch/dino
# vision_transformer.py) with CatMAE's preset for ViT-S/16, ViT-B/16 and
# ResNets (CatMAE downstream/davis2017-seg/DAVIS.md: T 0.7, k 8, r 18,
# n 20). Same input convention as the CRW base (RGB,
# ImageNet mean/std). H and W must be multiples of the patch size: use the
# 480x880 data (configs/_base_/datasets/davis_480x880.py).
_base_ = './labelprop_crw-r18.py'
model = dict(
    backbone=dict(_delete_=True, type='ViTPatchTokens',
                  arch='vit_small_patch16'),
    test_cfg=dict(temperature=0.7, topk=8, radius=18, num_context=20))
