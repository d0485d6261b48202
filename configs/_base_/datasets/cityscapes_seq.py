# Copyright (c) mmvseg contributors. All rights reserved.
# Cityscapes-Seq (19 classes, 2048x1024, 30-frame snippets at 17 Hz, frame 19
# annotated); see CityscapesSeqDataset. Training: the annotated frame of every
# train snippet with the previous frame; test: whole val snippets (mIoU on the
# annotated frames, temporal consistency on the 29 consecutive pairs).
# ``data_root`` is relative to the working directory: link the data there
# (the 6-snippet local copy, train split only:
# ``ln -s ../../shared/data/cityscapes_seq data/cityscapes_seq``) or override
# it, e.g. ``--cfg-options train_dataloader.dataset.data_root=PATH``. Other
# splits / snippet lists: ``val_dataloader.dataset.split=train``,
# ``ann_file='val_sam'`` (ETC's 108 val snippets) or a list file.
# Augmentation and sizes follow mmseg's _base_/datasets/cityscapes.py.
dataset_type = 'CityscapesSeqDataset'
data_root = 'data/cityscapes_seq'
img_scale = (2048, 1024)  # (W, H) of the Cityscapes frames
crop_size = (512, 1024)  # (H, W)
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
                ratio_range=(0.5, 2.0),
                keep_ratio=True),
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
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
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
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
        split='val',
        clip_len=30,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Clip-level evaluation: mIoU on the annotated frames, and temporal
# consistency as FraunhoferIVI/SSP utils/metrics.py temporal_consistency
# computes it (protocol 'ssp') on OpenCV DIS flow.
val_evaluator = [
    dict(type='VideoIoUMetric', iou_metrics=['mIoU']),
    dict(type='TemporalConsistencyMetric', protocol='ssp',
         flow=dict(type='DISFlow'))
]
test_evaluator = val_evaluator
