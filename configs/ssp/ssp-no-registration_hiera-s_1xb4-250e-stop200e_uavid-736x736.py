# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "no registration" (FraunhoferIVI/SSP
# config/video/ablation_registration.yaml, k_registrator_model: identity):
# H_{t-1->t} = I, the previous output and features are not aligned; everything
# else as ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(
    registration=dict(
        _delete_=True, type='HomographyRegistration', method='identity'))
