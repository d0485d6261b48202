# Copyright (c) mmvseg contributors. All rights reserved.
# TCB-PPM, the paper's baseline (FraunhoferIVI/SSP
# config/video/tcbppm_uavid.yaml, tcb_module: ppm): the TCB of
# tcb-ocr_hiera-s_1xb4-250e-stop200e_uavid-736x736.py
# with the pyramid-pooling clip block (ClipPPMBlock(768, 768): pool scales
# 1, 2, 3, 6, 512 channels per level, 3x3 bottleneck to 512, softly
# weighted frames, dropout 0.1) instead of the OCR block; everything else as
# there. The repository's TCBWrapper builds its PPM block only for
# tcb_module == "psp", so its released tcbppm_uavid.yaml trains the OCR block;
# --cfg-options model.repo_ppm_builds_ocr=True reproduces that.
_base_ = ['./tcb-ocr_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(
    clip_block=dict(
        _delete_=True, type='ClipPPMBlock', in_channels=768, channels=768))
