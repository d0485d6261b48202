# Copyright (c) mmvseg contributors. All rights reserved.
"""``tools/analysis_tools/benchmark_video_inference.py`` on a tiny run."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from script_loader import REPO_ROOT, load_script

CONFIG = osp.join(REPO_ROOT, 'configs', 'ssp',
                  'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py')


@pytest.fixture(scope='module')
def bench():
    return load_script('tools', 'analysis_tools',
                       'benchmark_video_inference.py')


def test_generated_pan_moves_two_pixels_a_frame(bench, tmp_path):
    path = bench.generate_pan(str(tmp_path / 'pan.mp4'), 5, 48, 64)
    capture = cv2.VideoCapture(path)
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 5
    ok, first = capture.read()
    ok, second = capture.read()
    assert ok and first.shape == (48, 64, 3)
    # mp4v is lossy: the shifted frame matches best at the 2 px pan
    errors = [np.abs(first[:, s:].astype(int) -
                     second[:, :64 - s]).mean() for s in range(5)]
    assert int(np.argmin(errors)) == 2


def test_tiny_benchmark(bench, demo_checkpoint, tmp_path):
    out = str(tmp_path / 'bench.json')
    results = bench.main([
        CONFIG, demo_checkpoint, '--frames', '4', '--repeats', '2',
        '--size', '48', '64', '--memory', '6', '--threads', '1',
        '--work-dir', str(tmp_path), '--json', out
    ])
    assert json.load(open(out)) == json.loads(json.dumps(results))
    speed = results['speed']
    assert speed['frames'] == 4 and speed['frame_size'] == [48, 64]
    assert speed['input_size'] == [96, 128]  # the config's test Resize
    assert len(speed['model_ms']) == len(speed['inferencer_ms']) == 2
    assert speed['ratio'] == pytest.approx(
        speed['inferencer_median_ms'] / speed['model_median_ms'], rel=1e-3)
    assert speed['writers'] and speed['inferencer_breakdown']['total'] > 0
    assert results['torch_threads'] == 1
    run = results['memory']['6']
    assert run['frames'] == 6
    assert run['peak_rss_mib'] >= run['setup_peak_rss_mib'] >= \
        run['setup_rss_mib'] > 0
