# Copyright (c) mmvseg contributors. All rights reserved.
# The CRW preset with a randomly initialised CRW ResNet-18 (mmseg's default
# Kaiming initialisation): a no-training baseline on DAVIS-2016 that shows
# what the architecture alone gives. Test only:
#   python tools/misc/save_init_checkpoint.py CONFIG \
#       work_dirs/r18_random_init.pth --seed 0
#   python tools/test.py CONFIG work_dirs/r18_random_init.pth
_base_ = [
    '../_base_/models/labelprop_crw-r18.py',
    '../_base_/datasets/davis2016.py', '../_base_/default_runtime.py'
]
