# Copyright (c) mmvseg contributors. All rights reserved.
# TCB as FraunhoferIVI/SSP builds it for the paper (config/video/
# tcbocr_uavid.yaml, tcbppm_uavid.yaml: model_name tcb, adjacent_frames
# [-1, -2, -3]; models/video/models_consistency.py TCBWrapper,
# models/video/modules.py Clip_OCR_Block, Clip_PSP_Block):
# - image model: the SSP base image model (video_upernet_hiera-s.py), the
#   whole of it loaded from a trained checkpoint (each config sets
#   model.image_model.init_cfg.checkpoint: a VideoEncoderDecoder checkpoint
#   whose keys image_model.* are stripped) and fine-tuned; logits
#   bicubically upsampled;
# - frames t, t-1, t-2, t-3 through the backbone in one batch; the clip
#   block on the last Hiera level (768 channels, stride 32), its output
#   concatenated with F_t^4 and reduced by a 1x1 conv (1536 -> 768) in place
#   of F_t^4 before the UPerHead; the first three frames of a clip use the
#   image model;
# - clip block: the OCR block here (ClipOCRBlock(768, 768), K soft regions,
#   key channels 384, dropout 0.05); the tcb-ppm configs switch to
#   ClipPPMBlock;
# - loss: CE on t (const_loss_lb: 0).
# Each dataset config also sets the training references
# (train_dataloader.dataset.ref_offsets=[-1, -2, -3]).
_base_ = ['./video_upernet_hiera-s.py']
model = dict(
    type='TCB',
    image_model=dict(
        backbone=dict(init_cfg=None),
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='image_model.')),
    clip_block=dict(type='ClipOCRBlock', in_channels=768, channels=768),
    ref_offsets=[-1, -2, -3],
    feature_index=-1,
    first_frames='image_model')
