# Copyright (c) mmvseg contributors. All rights reserved.
# DAVIS-2016 val (single object, grayscale 0/255 masks, read as object 1),
# e.g. the 8-video fixture ../shared/data/davis2016 (link it:
# ``ln -s /path/to/shared/data/davis2016 data/davis2016``). Same pipeline and
# J&F metric as the DAVIS-2017 base; see DAVISDataset.
_base_ = './davis.py'
data_root = 'data/davis2016'
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/2016/val.txt',
        binary_masks=True))
