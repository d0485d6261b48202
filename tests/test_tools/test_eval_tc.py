# Copyright (c) mmvseg contributors. All rights reserved.
"""End-to-end runs of tools/analysis_tools/eval_tc.py on generated folders."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmvseg.utils import write_flow

from script_loader import load_script

P0 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
P1 = [[0, 0, 0], [0, 0, 1], [2, 2, 2]]
STRIPES = [[0, 1, 1]] * 3
STRIPES_NEXT = [[0, 1, 2]] * 3


@pytest.fixture(scope='module')
def tool():
    return load_script('tools', 'analysis_tools', 'eval_tc.py')


def example_flow() -> np.ndarray:
    """(H, W, 2) f_{0->1} of the ssp/etc example: u = +1 except u(1, 1) =
    0.5, v = 0."""
    flow = np.zeros((3, 3, 2), np.float32)
    flow[..., 0] = 1
    flow[1, 1, 0] = 0.5
    return flow


def write_png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.asarray(array, np.uint8))


def make_dataset(root, clips):
    """``clips``: {name: (preds, flows, gts)}; writes frames/, preds/,
    flows/ and gts/ under ``root``; returns their paths."""
    dirs = {k: osp.join(str(root), k) for k in ('frames', 'preds', 'flows',
                                                'gts')}
    for name, (preds, flows, gts) in clips.items():
        for i, pred in enumerate(preds):
            h, w = np.asarray(pred).shape
            stem = f'frame_{i:03d}'
            write_png(osp.join(dirs['frames'], name, f'{stem}.png'),
                      np.full((h, w, 3), 10 * i))
            write_png(osp.join(dirs['preds'], name, f'{stem}.png'), pred)
            if gts is not None:
                write_png(osp.join(dirs['gts'], name, f'{stem}.png'), gts[i])
            if i + 1 < len(preds):
                os.makedirs(osp.join(dirs['flows'], name), exist_ok=True)
                write_flow(
                    osp.join(dirs['flows'], name, f'{stem}.flo'),
                    flows.get(i, np.zeros((h, w, 2), np.float32)))
    return dirs


@pytest.fixture
def dataset(tmp_path):
    return make_dataset(
        tmp_path, {
            'clip_a': ([P0, P1, P1], {0: example_flow()}, None),
            'clip_b': ([STRIPES, STRIPES_NEXT], {}, None),
        })


def run(tool, dirs, protocol, *extra):
    return tool.main([
        '--frames', dirs['frames'], '--preds', dirs['preds'], '--protocol',
        protocol, '--num-classes', '3', *extra
    ])


def test_ssp_with_flow_files_and_json(tool, dataset, tmp_path, capsys):
    out = str(tmp_path / 'tc.json')
    report = run(tool, dataset, 'ssp', '--flows', dataset['flows'], '--json',
                 out)
    with open(out) as f:
        assert json.load(f) == report
    # clip_a: pair scores 0.583333 (7 / 12) and 1.0; clip_b: (1 + 0.5 + 0) / 3
    assert report['per_clip']['clip_a'] == pytest.approx(
        (7 / 12 + 1) / 2, abs=1e-6)
    assert report['per_clip']['clip_b'] == pytest.approx(0.5)
    assert report['TC'] == pytest.approx(((7 / 12 + 1) / 2 + 0.5) / 2,
                                         abs=1e-6)
    assert report['protocol'] == 'ssp'
    assert report['warp_mode'] == 'legacy_nearest'
    assert report['flow'].startswith('FileFlow(flow_root=')
    printed = capsys.readouterr().out
    assert 'clip_a' in printed and '64.58' in printed


def test_etc_pools_over_clips(tool, dataset):
    report = run(tool, dataset, 'etc', '--flows', dataset['flows'])
    # clip_a: I = (3,1,2) + (5,1,3), U = (5,4,3) + (5,1,3)
    clip_a = (8 / 10 + 2 / 5 + 5 / 6) / 3
    # clip_b: I = (3, 3, 0), U = (3, 6, 3)
    assert report['per_clip'] == {
        'clip_a': pytest.approx(clip_a),
        'clip_b': pytest.approx(0.5)
    }
    assert report['TC'] == pytest.approx((11 / 13 + 5 / 11 + 5 / 9) / 3)
    assert report['warp_mode'] == 'repo_bilinear_trunc'


def test_dis_flow_by_default(tool, tmp_path):
    # OpenCV DIS needs frames of at least 12 pixels
    pred = np.arange(24)[None].repeat(16, 0) // 8
    dirs = make_dataset(tmp_path, {'clip': ([pred, pred], {}, None)})
    report = run(tool, dirs, 'etc', '--flow-preset', 'fast', '--warp-mode',
                 'nearest')
    assert report['flow'] == 'DISFlow(preset=fast)'
    assert report['warp_mode'] == 'nearest'
    # uniform frames: DIS finds no motion, equal maps score 1
    assert report['TC'] == pytest.approx(1.0)


def test_vspw_needs_gts(tool, tmp_path):
    g0 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
    g1 = [[0, 0, 1], [0, 1, 1], [2, 2, 2]]
    q0 = [[0, 0, 1], [0, 0, 1], [2, 2, 1]]
    q1 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
    dirs = make_dataset(tmp_path, {
        'v': ([q0, q1, np.ones((3, 3))], {}, [g0, g1, g1]),
        'w': ([q0, q1], {}, [g0, g1]),
    })
    with pytest.raises(ValueError, match='needs --gts'):
        run(tool, dirs, 'vspw')
    report = run(tool, dirs, 'vspw', '--gts', dirs['gts'], '--vc-n', '2')
    assert report['VC_2'] == 0.875
    assert report['per_clip'] == {'v': {'VC_2': 0.875}, 'w': {'VC_2': None}}
    assert report['flow'] == 'none'


def test_count_mismatch_names_the_clip(tool, dataset):
    os.remove(osp.join(dataset['preds'], 'clip_b', 'frame_001.png'))
    with pytest.raises(ValueError, match='clip clip_b: different numbers'):
        run(tool, dataset, 'ssp', '--flows', dataset['flows'])


def test_missing_clip_folder(tool, dataset):
    os.rename(
        osp.join(dataset['preds'], 'clip_b'),
        osp.join(dataset['preds'], 'other'))
    with pytest.raises(FileNotFoundError, match='clip_b: clip folder'):
        run(tool, dataset, 'ssp', '--flows', dataset['flows'])


def test_size_mismatch_names_the_file(tool, dataset):
    write_png(osp.join(dataset['preds'], 'clip_b', 'frame_001.png'),
              np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r'preds/clip_b/frame_001.png: '
                       r'prediction size \(4, 3\) \(H, W\) differs from its '
                       r'frame .*frames/clip_b/frame_001.png \(3, 3\)'):
        run(tool, dataset, 'ssp', '--flows', dataset['flows'])


def test_missing_flow_file(tool, dataset):
    os.remove(osp.join(dataset['flows'], 'clip_a', 'frame_001.flo'))
    with pytest.raises(FileNotFoundError, match='frame_001.flo'):
        run(tool, dataset, 'etc', '--flows', dataset['flows'])
