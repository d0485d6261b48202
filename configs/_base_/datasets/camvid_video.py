# Copyright (c) mmvseg contributors. All rights reserved.
# CamVid (SegNet 11 classes, 480x360) as videos; see CamVidVideoDataset.
# ``data_root`` is relative to the working directory: link the data there
# (``ln -s ../shared/data/camvid data/camvid``) or override it, e.g.
# ``--cfg-options train_dataloader.dataset.data_root=PATH``
# (``python tools/misc/generate_demo_data.py --out-dir data/demo`` writes a
# synthetic copy of this layout).
dataset_type = 'CamVidVideoDataset'
data_root = 'data/camvid'
img_scale = (480, 360)  # (W, H) of the CamVid frames
crop_size = (360, 480)  # (H, W)
train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(
                type='RandomResize',
                scale=img_scale,
                ratio_range=(0.75, 1.5),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
            dict(type='RandomFlip', prob=0.5),
            dict(type='VideoPhotoMetricDistortion'),
        ]),
    dict(type='PackVideoSegInputs'),
]
test_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='Resize', scale=img_scale, keep_ratio=True),
            # after Resize: ground truth stays at the original size
            dict(type='LoadVideoAnnotations'),
        ]),
    dict(type='PackVideoSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        ref_offsets=[-1],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val.txt',
        clip_len=101,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Clip-level evaluation: mIoU on the labelled frames, and temporal consistency
# as FraunhoferIVI/SSP utils/metrics.py temporal_consistency computes it
# (protocol 'ssp') on OpenCV DIS flow.
val_evaluator = [
    dict(type='VideoIoUMetric', iou_metrics=['mIoU']),
    dict(type='TemporalConsistencyMetric', protocol='ssp',
         flow=dict(type='DISFlow'))
]
test_evaluator = val_evaluator
