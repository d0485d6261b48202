# Copyright (c) mmvseg contributors. All rights reserved.
# SSP lambda sweep (FraunhoferIVI/SSP config/video/lambda_0.65.yaml,
# const_loss_lb: 0.65): loss = CE + 0.65 * L_tc instead of CE + 0.5 * L_tc;
# everything else as ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(loss_tc=dict(loss_weight=0.65))
