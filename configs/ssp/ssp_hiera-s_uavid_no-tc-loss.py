# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "no consistency loss" (methods.md §1.3; FraunhoferIVI/SSP
# config/video/ablation_consistencyloss.yaml, const_loss_lb: 0.): CE on O_t
# only (no RAFT flow needed for training; the TC metric still uses it);
# everything else as ssp_hiera-s_uavid.py.
_base_ = ['./ssp_hiera-s_uavid.py']
model = dict(loss_tc=None)
