# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on the stride-8 features of the ESPNet encoder trained
# for CamVid segmentation (the only trained weights in ../shared), videowalk
# (CRW) preset (label_propagation.md A15: T 0.05, k 10, r 12, n 20), native
# 480p, DAVIS-2016. The encoder's last map (256 channels, stride 8) gives the
# CRW grid (480x854 -> 60x107). Checkpoint: the converted CamVid ESPNet
# (tools/model_converters/espnet2mmvseg.py); its decode_head weights are
# unused (mmengine reports them as unexpected keys). Test only:
#   python tools/test.py CONFIG checkpoints/espnet_p2-q8_camvid-360x480.pth
_base_ = [
    '../_base_/models/espnet_p2-q8.py', '../_base_/datasets/davis2016.py',
    '../_base_/default_runtime.py'
]
encoder = _base_.model.backbone
del _base_.model
# the ESPNet input convention of the model base (BGR, CamVid mean/std)
data_preprocessor = _base_.data_preprocessor
data_preprocessor.update(type='VideoSegDataPreProcessor')
data_preprocessor.pop('seg_pad_val')
data_preprocessor.pop('pad_val')
model = dict(
    type='LabelPropagator',
    data_preprocessor=data_preprocessor,
    backbone=encoder,
    test_cfg=dict(temperature=0.05, topk=10, radius=12, num_context=20))
test_cfg = dict(type='TestLoop')
