# Copyright (c) mmvseg contributors. All rights reserved.
# RuralScapes (12 classes) as clips of up to 50 frames (every 5th video
# frame) with several labelled frames each; see RuralScapesDataset. Prepare
# the data with
#   python tools/dataset_converters/ruralscapes.py Ruralscapes.zip \
#       -o data/ruralscapes
# Everything else as uavid_vdd.py: the converter's 1280x736 copy, the
# augmentation of the video and image models, the loaders, evaluation on
# whole val clips (mIoU over all labelled frames of each clip) and the
# metrics. A labelled first frame of a clip gets itself as its reference at
# offset -1 (clamped; the repository's index arithmetic,
# FraunhoferIVI/SSP data/video/video_dataset.py, wraps to the clip's last
# frame).
_base_ = ['./uavid_vdd.py']
dataset_type = 'RuralScapesDataset'
data_root = 'data/ruralscapes'
num_classes = 12
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
# the trained RuralScapes image model
# (configs/hiera/upernet_hiera-s_1xb4-100e-stop75e_ruralscapes-736x1280.py)
image_model_checkpoint = ('work_dirs/upernet_hiera-s_1xb4-100e-stop75e_'
                          'ruralscapes-736x1280/epoch_75.pth')
video_model = dict(
    image_model=dict(
        decode_head=dict(num_classes=num_classes),
        init_cfg=dict(checkpoint=image_model_checkpoint)))
