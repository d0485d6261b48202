# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/analysis_tools/benchmark_flow.py on a tiny pair (structure and the
equivalence figure; no timing is asserted)."""
import json

import cv2
import numpy as np

from script_loader import load_script

tool = load_script('tools', 'analysis_tools', 'benchmark_flow.py')


def test_reports_every_estimator_and_the_difference(tmp_path):
    rng = np.random.default_rng(0)
    noise = rng.random((32, 40, 3)).astype(np.float32)
    big = (cv2.resize(noise, (168, 136)) * 255).astype(np.uint8)
    paths = []
    for i in range(2):
        paths.append(str(tmp_path / f'{i}.png'))
        cv2.imwrite(paths[-1], big[4 + i:132 + i, 4 + 2 * i:164 + 2 * i])
    report = tool.main(['--frames', *paths, '--iters', '1', '--repeats', '2',
                        '--warmup', '0', '--json', str(tmp_path / 'r.json')])
    assert report['size'] == [128, 160] and report['iters'] == 1
    assert list(report['estimators']) == [
        'DIS (medium)', 'RAFT-small (torchvision)',
        'RAFT-large (torchvision)', 'RAFT (mmflow)'
    ]
    for entry in report['estimators'].values():
        assert len(entry['times_s']) == len(entry['cpu_times_s']) == 2
        assert entry['min_s'] == min(entry['times_s']) > 0
        assert entry['cpu_median_s'] > 0
    assert report['raft_large_vs_mmflow_max_abs_px'] <= 1e-3
    assert json.load(open(tmp_path / 'r.json'))['iters'] == 1
