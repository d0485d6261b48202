# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on the stride-8 features of the ESPNet encoder trained
# for CamVid segmentation (the only trained weights in ../shared), videowalk
# (CRW) preset (ajabri/videowalk README.md: T 0.05, k 10, r 12, n 20), native
# 480p, DAVIS-2016 (../_base_/models/labelprop_espnet-p2-q8.py). The
# encoder's last map (256 channels, stride 8) gives the CRW grid (480x854 ->
# 60x107). Checkpoint: the converted CamVid ESPNet
# (tools/model_converters/espnet2mmvseg.py); its decode_head weights are
# unused (mmengine reports them as unexpected keys). Test only:
#   python tools/test.py CONFIG checkpoints/espnet_p2-q8_camvid-360x480.pth
_base_ = [
    '../_base_/models/labelprop_espnet-p2-q8.py',
    '../_base_/datasets/davis2016.py', '../_base_/default_runtime.py'
]
