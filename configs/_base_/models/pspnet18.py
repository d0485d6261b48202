# Copyright (c) mmvseg contributors. All rights reserved.
# PSPNet18 of ETC (Liu et al., ECCV 2020;
# irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation
# model/pspnet_18.py, model/resnet.py):
# - ResNet-18 with a plain stem, layer3/4 at stride 1 with conv2 dilated by
#   2 / 4 (PSPNet18ResNet; output stride 8, 769 -> 97);
# - pyramid pooling on layer4 (bins 1, 2, 3, 6, 4 x 128 channels) and a 3x3
#   conv 1024 -> 256, dropout 0.1, 1x1 classifier (DecoupledPSPHead);
# - auxiliary head on layer3: 3x3 conv 256 -> 256, dropout 0.1, 1x1
#   classifier (mmseg's FCNHead), loss weight 0.4;
# - both losses ETC's class-weighted cross-entropy (CriterionDSN:
#   WeightedCrossEntropyLoss with the 19 Cityscapes weights of util/crit.py),
#   logits upsampled with align_corners=True;
# - input: RGB, ImageNet mean/std; BN (SyncBN in the repository's 4-GPU
#   runs: set norm_cfg to SyncBN for distributed training).
# ImageNet weights: torchvision's ResNet-18 state dict (the repository's
# initmodel/resnet18.pth; its fc.* keys are ignored) from a local path:
# model.backbone.init_cfg = dict(type='Pretrained', checkpoint=PATH).
class_weight = [
    0.8373, 0.918, 0.866, 1.0345, 1.0166, 0.9969, 0.9754, 1.0489, 0.8786,
    1.0023, 0.9539, 0.9843, 1.1116, 0.9037, 1.0865, 1.0955, 1.0865, 1.1529,
    1.0507
]
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='PSPNet18ResNet',
        depth=18,
        out_indices=(2, 3),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch'),
    decode_head=dict(
        type='DecoupledPSPHead',
        in_channels=512,
        in_index=1,
        ppm_channels=128,
        channels=256,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='WeightedCrossEntropyLoss',
            class_weight=class_weight,
            loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=256,
        in_index=0,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='WeightedCrossEntropyLoss',
            class_weight=class_weight,
            loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
