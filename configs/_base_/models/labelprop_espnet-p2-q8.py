# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on the stride-8 features of the ESPNet encoder of
# espnet_p2-q8.py (its last map: 256 channels, stride 8), with the image
# model's input convention (BGR, CamVid mean/std; no padding) and the
# videowalk (CRW) preset of ajabri/videowalk README.md: T 0.05, k 10, r 12,
# n 20. Weights: the converted CamVid ESPNet
# (tools/model_converters/espnet2mmvseg.py); its decode_head weights are
# unused (mmengine reports them as unexpected keys).
_base_ = ['./espnet_p2-q8.py']
data_preprocessor = _base_.data_preprocessor
data_preprocessor.update(type='VideoSegDataPreProcessor')
data_preprocessor.pop('pad_val')
data_preprocessor.pop('seg_pad_val')
model = dict(
    type='LabelPropagator',
    data_preprocessor=data_preprocessor,
    backbone=_base_.model.backbone,
    test_cfg=dict(temperature=0.05, topk=10, radius=12, num_context=20))
del _base_.model
test_cfg = dict(type='TestLoop')
