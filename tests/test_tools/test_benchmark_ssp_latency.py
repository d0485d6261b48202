# Copyright (c) mmvseg contributors. All rights reserved.
"""The SSP latency benchmark: its synthetic clip, its part timers and a
tiny end-to-end run."""
import json
import os.path as osp

import pytest
import torch

import mmvseg.models.segmentors.ssp as ssp_module
from mmvseg.models.registration import (HomographyRegistration,
                                        corner_distance)

from script_loader import REPO_ROOT, load_script

bench = load_script('tools', 'analysis_tools', 'benchmark_ssp_latency.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'ssp',
                  'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py')


def test_synthetic_clip_pans_3_px_right_1_px_down():
    clip = bench.synthetic_clip(3, 20, 24)
    assert clip.shape == (3, 3, 20, 24)
    assert 0 <= clip.min() and clip.max() <= 255 and clip.std() > 10
    for t in range(2):
        torch.testing.assert_close(clip[t + 1, :, :-1, :-3],
                                   clip[t, :, 1:, 3:])


def test_pan_homography_maps_frame_t_minus_1_to_t():
    # frame t at (y, x) shows frame t-1 at (y + 1, x + 3)
    clip = bench.synthetic_clip(2, 20, 24)
    homography = bench.pan_homography(3)
    source = torch.tensor([10.0, 5.0, 1.0], dtype=torch.float64)
    x, y, _ = (homography @ source).tolist()
    assert (x, y) == (7.0, 4.0)
    torch.testing.assert_close(clip[1, :, int(y), int(x)], clip[0, :, 5, 10])


@pytest.mark.parametrize('scale', [1.0, 0.25])
def test_sift_finds_the_pan_at_full_and_quarter_resolution(scale):
    clip = bench.synthetic_clip(3, 224, 384)
    registration = HomographyRegistration('sift', scale=scale)
    for t in range(2):
        homography = registration(clip[t:t + 1], clip[t + 1:t + 2])[0]
        assert corner_distance(homography, bench.pan_homography(),
                               (224, 384)) < 0.5


def test_end_to_end_parts_and_restored_model(tmp_path):
    out = tmp_path / 'result.json'
    result = bench.main([
        CONFIG, '--size', '64', '96', '--frames', '2', '--warmup', '1',
        '--device', 'cpu', '--json',
        str(out)
    ])
    assert json.loads(out.read_text()) == result
    medians = result['median_ms']
    assert set(medians) == {'image model alone', 'SSP', *bench.PARTS}
    assert all(medians[part] >= 0 for part in bench.PARTS[:-1])
    # SIFT ran on every step: frame t was described and matched
    assert medians['describe'] > 0 and medians['match'] > 0
    assert result['ratio'] == medians['SSP'] / medians['image model alone']
    assert result['registration'] == 'HomographyRegistration'
    assert result['registration_error_px'] >= 0.0
    assert result['registration_scale'] == 1.0


def test_timed_parts_restores_the_model():
    class Registration(torch.nn.Module):

        def describe(self, frames):
            return frames

        def match(self, *args):
            return args

        def fit(self, *args):
            return args

    class Model(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.registration = Registration()
            self.sim_head = torch.nn.Identity()

        def extract_feat(self, x):
            return x

        def decode_logits(self, x, size):
            return x

    model = Model()
    warp = ssp_module.warp_homography
    timer = bench.PartTimer(torch.device('cpu'))
    with bench.timed_parts(model, timer):
        model.registration.describe(1)
        model.registration.describe(2)
        ssp_module.warp_homography
    assert set(timer.seconds) == {'describe'}
    assert 'describe' not in vars(model.registration)
    assert 'extract_feat' not in vars(model)
    assert ssp_module.warp_homography is warp
