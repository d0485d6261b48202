# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "untrained image model" (FraunhoferIVI/SSP
# config/video/ablation_untrainedimage.yaml): SSP trained from the image model
# as initialised (SAM2 Hiera-S backbone + random UPerHead, never fine-tuned)
# instead of the trained base model. Make its checkpoint first:
#   python tools/misc/save_init_checkpoint.py \
#       configs/hiera/upernet_hiera-s_untrained_uavid-736x1280.py \
#       work_dirs/upernet_hiera-s_untrained_uavid-736x1280/init.pth
# Everything else as ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
image_model_checkpoint = ('work_dirs/upernet_hiera-s_untrained_uavid-'
                          '736x1280/init.pth')
model = dict(
    image_model=dict(init_cfg=dict(checkpoint=image_model_checkpoint)))
