# Copyright (c) mmvseg contributors. All rights reserved.
# Label propagation on raw Lab colours (stride 8, no weights), videowalk
# (CRW) preset of ajabri/videowalk README.md: T 0.05, k 10, r 12, n 20, at
# the native 480p size. Test only:
#   python tools/misc/save_init_checkpoint.py CONFIG work_dirs/lab_init.pth
#   python tools/test.py CONFIG work_dirs/lab_init.pth
_base_ = ['../_base_/datasets/davis.py', '../_base_/default_runtime.py']
model = dict(
    type='LabelPropagator',
    # frames as loaded (BGR uint8) -> RGB float in 0-255, no normalisation
    data_preprocessor=dict(type='VideoSegDataPreProcessor', bgr_to_rgb=True),
    backbone=dict(type='RawPixelBackbone', color_space='lab', stride=8),
    test_cfg=dict(temperature=0.05, topk=10, radius=12, num_context=20))
test_cfg = dict(type='TestLoop')
