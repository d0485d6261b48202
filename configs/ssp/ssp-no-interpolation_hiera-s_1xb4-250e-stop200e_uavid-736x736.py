# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "no interpolation" (FraunhoferIVI/SSP
# config/video/ablation_interpolation.yaml, sim_op: constant): alpha = 0, so
# O_t = Z_t and nothing is propagated - the image model fine-tuned with
# CE + 0.5 * L_tc on (t-1, t) pairs (registration is skipped); everything
# else as ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(
    sim_head=dict(_delete_=True, type='ConstantSimilarityHead', alpha=0.0))
