# Copyright (c) mmvseg contributors. All rights reserved.
# TCB-PPM on the ESPNet CamVid image model:
# tcb-ocr_espnet-p2-q8_1xb4-2k_camvid-360x480.py with the pyramid-pooling
# clip block on the 256-channel level (pool scales 1, 2, 3, 6, softly
# weighted frames, dropout 0.1). The repository's 512 channels per pyramid
# level and bottleneck are for a 768-channel input; here they are 64 (a
# quarter of the input, mmseg's PSPNet ratio), which keeps the block near
# the size of ESPNet itself (our choice).
_base_ = ['./tcb-ocr_espnet-p2-q8_1xb4-2k_camvid-360x480.py']
model = dict(
    clip_block=dict(
        _delete_=True,
        type='ClipPPMBlock',
        in_channels=256,
        channels=256,
        ppm_channels=64,
        bottleneck_channels=64))
