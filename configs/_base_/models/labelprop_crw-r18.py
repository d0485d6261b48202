# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation with the CRW encoder (Jabri et al., NeurIPS 2020): the
# stride-8 ResNet-18 of ajabri/videowalk (layer3, reflect padding;
# code/resnet.py ResNet.modify) and its README.md preset (T 0.05, k 10,
# r 12, n 20). Frames as loaded (BGR uint8) -> RGB with ImageNet mean/std
# (code/data/vos.py).
model = dict(
    type='LabelPropagator',
    data_preprocessor=dict(
        type='VideoSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='CRWResNet', depth=18, padding_mode='reflect'),
    test_cfg=dict(temperature=0.05, topk=10, radius=12, num_context=20))
test_cfg = dict(type='TestLoop')
