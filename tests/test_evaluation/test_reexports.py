# Copyright (c) mmvseg contributors. All rights reserved.
"""Names that moved keep working from where they were imported before."""
import pytest

import mmvseg.datasets.davis as davis_dataset
import mmvseg.evaluation.functional as functional
import mmvseg.evaluation.metrics as metrics


@pytest.mark.parametrize('name', [
    'PROTOCOL_WARP_MODES', 'WARP_MODES', 'boundary_map', 'boundary_tolerance',
    'contour_accuracy', 'etc_pair_areas', 'etc_score', 'format_davis_tables',
    'frame_statistics', 'region_similarity', 'score_video', 'ssp_pair_score',
    'vspw_window_scores', 'warp_labels'
])
def test_scoring_functions_are_reexported(name):
    assert getattr(metrics, name) is getattr(functional, name)


def test_davis_palette_lives_in_the_dataset_layer():
    assert metrics.davis_palette is davis_dataset.davis_palette
