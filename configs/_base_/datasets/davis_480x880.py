# Copyright (c) mmvseg contributors. All rights reserved.
# DAVIS-2017 val at 480x880, CatMAE's protocol (minhoooo1/CatMAE
# downstream/davis2017-seg/convert_480_880.py and DAVIS.md): frames and
# annotations nearest-resized to 880x480 offline, and J&F scored against the
# resized annotations. Make the copy once with
#   python tools/dataset_converters/davis_480x880.py data/DAVIS \
#       data/DAVIS_480_880
_base_ = './davis.py'
data_root = 'data/DAVIS_480_880'
test_dataloader = dict(dataset=dict(data_root=data_root))
