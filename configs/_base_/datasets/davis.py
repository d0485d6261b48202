# Copyright (c) mmvseg contributors. All rights reserved.
# DAVIS-2017 val for semi-supervised VOS (test only); see DAVISDataset.
# One item per whole video at native size (480p, no resize: the videowalk
# protocol, ajabri/videowalk README.md ``--cropSize -1``); frame 0's
# annotation seeds the propagation, the others are scored by DAVISMetric
# (J&F).
# ``data_root`` is relative to the working directory: link the data there
# (``ln -s /path/to/DAVIS data/DAVIS``) or override it, e.g.
# ``--cfg-options test_dataloader.dataset.data_root=PATH``.
# DAVIS-2016 (0/255 single-object masks):
# ``test_dataloader.dataset.binary_masks=True`` and
# ``test_dataloader.dataset.ann_file=ImageSets/2016/val.txt`` (video names)
# or ``ImageSets/480p/val.txt`` (frame list).
dataset_type = 'DAVISDataset'
data_root = 'data/DAVIS'
test_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadFrameFromFile'),
            # palette PNGs: keep the stored indices (object ids)
            dict(type='LoadVideoAnnotations', label_reader='indexed_png'),
        ]),
    dict(type='PackVideoSegInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/2017/val.txt',
        data_prefix=dict(
            img_path='JPEGImages/480p', seg_map_path='Annotations/480p'),
        pipeline=test_pipeline))
test_evaluator = [dict(type='DAVISMetric')]
