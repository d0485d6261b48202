# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "no consistency loss" (FraunhoferIVI/SSP
# config/video/ablation_consistencyloss.yaml, const_loss_lb: 0.): CE on O_t
# only (no RAFT flow needed for training; the TC metric still uses it);
# everything else as ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(loss_tc=None)
