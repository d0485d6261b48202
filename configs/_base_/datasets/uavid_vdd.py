# Copyright (c) mmvseg contributors. All rights reserved.
# UAVid v1.5 + VDD water/roof (8 classes) as 100-frame clips labelled on their
# last frame; see UAVidVDDDataset. Prepare the data with
#   python tools/dataset_converters/uavid_vdd.py \
#       uavid_v1.5_official_release.zip UAVid7-<date>-001.zip -o data/UAVid
# (``data_root`` is relative to the working directory; override it with
# ``--cfg-options train_dataloader.dataset.data_root=PATH`` etc.).
# Frames and labels are read from the converter's 1280x736 copy
# (``data_1280x736/``: the 2560x1440 frames Pillow-bilinear resized, the labels
# Pillow-nearest resized, exactly what FraunhoferIVI/SSP feeds its networks,
# data/dataset_utils.py), so training and evaluation run at 736x1280 and the
# pipelines need no resize. The loaders, augmentation and evaluation are those
# of the repository's paper configs, for all models trained on this data.
dataset_type = 'UAVidVDDDataset'
data_root = 'data/UAVid'
data_prefix = dict(img_path='data_1280x736', seg_map_path='data_1280x736')
num_classes = 8
# (H, W) of the data_1280x736 frames: the image models train on whole frames
# (FraunhoferIVI/SSP config/image/base_uavid.yaml)
image_size = (736, 1280)
# (H, W) training crop of the video models (SSP, KD-SSP, DFF, NetWarp, TCB;
# config/video/ssp_uavid.yaml)
crop_size = (736, 736)
# Video models: the repository's video augmentation (data/dataset_utils.py
# get_transforms('video'), data/utils/images_transforms.py), the same random
# parameters for all frames of a clip. VideoRandomScaleCrop(0.75,
# scales=[1.1, ..., 1.4]): with probability 1/4 the frame keeps its size,
# else one of the seven scales (int(side * s), as the repository) is drawn
# uniformly; RandomChoiceResize draws uniformly, hence 7 copies of the
# identity and 3 of each scale.
scale_factors = [1.1, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4]
train_scales = [(1280, 736)] * 7 + [(int(1280 * s), int(736 * s))
                                    for s in scale_factors for _ in range(3)]
train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(
                type='RandomChoiceResize',
                scales=train_scales,
                keep_ratio=False),
            # one uniform crop (the repository crops 736x1280, then 736x736)
            dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
            dict(type='VideoPhotoMetricDistortion'),
        ]),
    dict(type='PackVideoSegInputs'),
]
# Image models (with ``ref_offsets=[]``: the labelled frames alone): the
# repository's image augmentation (albumentations in data/dataset_utils.py
# get_transforms('image'): flip, perspective / shift-scale-rotate, colour,
# noise) approximated with flip and photometric distortion on the full frame.
image_train_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='VideoPhotoMetricDistortion'),
        ]),
    dict(type='PackVideoSegInputs'),
]
# Evaluation as FraunhoferIVI/SSP eval/vis/video.py: whole val clips from
# their first frame, at 736x1280, no crop; mIoU on the labelled (last) frame
# of each clip.
test_pipeline = [
    dict(type='VideoFrameSample'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadFrameFromFile'),
            dict(type='LoadVideoAnnotations'),
        ]),
    dict(type='PackVideoSegInputs'),
]
# (t-1, t) pairs with t labelled; for the epoch-based schedules
# (../schedules/schedule_adamw-cos_*.py) one epoch = every labelled frame
# once, shuffled, incomplete last batch dropped (FraunhoferIVI/SSP
# training/train_video.py, training/train_image.py: DataLoader(shuffle=True,
# drop_last=True)).
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='train.txt',
        ref_offsets=[-1],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=data_prefix,
        ann_file='val.txt',
        clip_len=None,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Clip-level evaluation: mIoU over the labelled frames of all val clips, and
# temporal consistency as FraunhoferIVI/SSP utils/metrics.py
# temporal_consistency computes it (protocol 'ssp') on RAFT-large flow, 20
# updates, ImageNet-normalised inputs. RAFT weights: torchvision's raft_large
# layout (tools/model_converters/raft2torchvision.py raft-things.pth, or
# torchvision's Raft_Large_Weights.C_T_V1 file); without them use OpenCV DIS
# flow: flow=dict(type='DISFlow').
raft_checkpoint = 'checkpoints/raft_large_things.pth'
raft = dict(
    type='RAFTFlow',
    variant='large',
    checkpoint=raft_checkpoint,
    num_flow_updates=20,
    input_mode='repo_normalized')
val_evaluator = [
    dict(type='VideoIoUMetric', iou_metrics=['mIoU']),
    dict(type='TemporalConsistencyMetric', protocol='ssp', flow=raft)
]
test_evaluator = val_evaluator
# Where every video method on this dataset starts: the trained image model
# (configs/hiera/upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py) and
# the model settings that follow from the data. A video method's config says
# `model = _base_.video_model` beside its model base.
image_model_checkpoint = ('work_dirs/upernet_hiera-s_1xb4-250e-stop200e_'
                          'uavid-736x1280/epoch_200.pth')
video_model = dict(
    data_preprocessor=dict(size=crop_size),
    image_model=dict(
        decode_head=dict(num_classes=num_classes),
        init_cfg=dict(checkpoint=image_model_checkpoint)))
