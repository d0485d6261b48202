# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on ViT patch tokens (final LayerNorm, CLS dropped,
# position embeddings interpolated as DINO/CatMAE do; label_propagation.md
# A8) with CatMAE's preset for ViT-S/16, ViT-B/16 and ResNets (A15:
# T 0.7, k 8, r 18, n 20). Frames as loaded (BGR uint8) -> RGB with ImageNet
# mean/std. H and W must be multiples of the patch size: use the 480x880
# data (configs/_base_/datasets/davis_480x880.py).
model = dict(
    type='LabelPropagator',
    data_preprocessor=dict(
        type='VideoSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ViTPatchTokens', arch='vit_small_patch16'),
    test_cfg=dict(temperature=0.7, topk=8, radius=18, num_context=20))
test_cfg = dict(type='TestLoop')
