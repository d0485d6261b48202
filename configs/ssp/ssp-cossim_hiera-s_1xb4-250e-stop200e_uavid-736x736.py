# Copyright (c) mmvseg contributors. All rights reserved.
# SSP ablation "cosine similarity" (FraunhoferIVI/SSP
# config/video/ablation_cossim.yaml, sim_op: cossim): alpha = min(clamp(cos(
# F_t^1, aligned F_{t-1}^1), 0, 1) ** 4, 0.95) per stride-4 pixel instead of
# the trained convolutional head; everything else as
# ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py.
_base_ = ['./ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py']
model = dict(
    sim_head=dict(
        _delete_=True, type='CosineSimilarityHead', power=4.0,
        max_alpha=0.95))
