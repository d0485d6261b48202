# Copyright (c) mmvseg contributors. All rights reserved.
# The "untrained image model" of the SSP ablation (FraunhoferIVI/SSP
# config/image/untrained_uavid.yaml, ``no_training: true``): the UAVid base
# image model as initialised - SAM2 Hiera-S backbone weights + a randomly
# initialised UPerHead - saved without any training:
#   python tools/misc/save_init_checkpoint.py \
#       configs/hiera/upernet_hiera-s_untrained_uavid-736x1280.py \
#       work_dirs/upernet_hiera-s_untrained_uavid-736x1280/init.pth
# (needs checkpoints/sam2_hiera-s.pth; --seed picks the head's random
# initialisation). That checkpoint is the image model of
# configs/ssp/ssp-untrained-image_hiera-s_1xb4-250e-stop200e_uavid-736x736.py;
# it can also be scored:
#   python tools/test.py CONFIG \
#       work_dirs/upernet_hiera-s_untrained_uavid-736x1280/init.pth
# Everything else equals the trained base model's config; do not train it.
_base_ = ['./upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py']
