# Copyright (c) mmvseg contributors. All rights reserved.
# SSP lambda sweep (methods.md §1.3; FraunhoferIVI/SSP
# config/video/lambda_0.35.yaml, const_loss_lb: 0.35): loss = CE + 0.35 * L_tc
# instead of CE + 0.5 * L_tc; everything else as ssp_hiera-s_uavid.py.
_base_ = ['./ssp_hiera-s_uavid.py']
model = dict(loss_tc=dict(loss_weight=0.35))
