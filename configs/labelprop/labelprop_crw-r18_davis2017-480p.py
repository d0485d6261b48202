# Copyright (c) mmvseg contributors. All rights reserved.
# CRW ResNet-18 + the videowalk README preset at the native 480p size (the
# protocol of ajabri/videowalk README.md). Reported: J&F 67.6 on DAVIS-2017
# val (videowalk README). Weights: videowalk's pretrained.pth, converted
# with
#   python tools/model_converters/crw2mmvseg.py --trusted pretrained.pth \
#       checkpoints/crw_r18_videowalk.pth
#   python tools/test.py CONFIG checkpoints/crw_r18_videowalk.pth
_base_ = [
    '../_base_/models/labelprop_crw-r18.py', '../_base_/datasets/davis.py',
    '../_base_/default_runtime.py'
]
