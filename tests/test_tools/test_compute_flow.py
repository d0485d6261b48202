# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/misc/compute_flow.py: flow files of consecutive frames."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmvseg.models.flow import DISFlow
from mmvseg.utils import read_flow

from script_loader import REPO_ROOT, load_script

tool = load_script('tools', 'misc', 'compute_flow.py')
eval_tc = load_script('tools', 'analysis_tools', 'eval_tc.py')


def _textured(h, w, seed):
    rng = np.random.default_rng(seed)
    noise = rng.random((h // 4, w // 4, 3)).astype(np.float32)
    img = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.fixture
def clips(tmp_path):
    """clips/<clip>/frame_00<i>.png: two clips of 3 frames (48x64); frame
    i+1 shows frame i moved by (-2, -1) px, so f_{i->i+1} = (-2, -1)."""
    root = tmp_path / 'clips'
    for c, clip in enumerate(('clip_a', 'clip_b')):
        big = _textured(80, 96, seed=c)
        (root / clip).mkdir(parents=True)
        for i in range(3):
            frame = big[8 + i:56 + i, 8 + 2 * i:72 + 2 * i]
            cv2.imwrite(str(root / clip / f'frame_{i:03d}.png'), frame)
    return str(root)


def _rgb(path):
    img = cv2.imread(path)[..., ::-1]
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]


def _dis(path_t, path_s):
    return DISFlow()(_rgb(path_t), _rgb(path_s))[0].permute(1, 2, 0).numpy()


def _run(*args):
    return tool.main([str(a) for a in args])


def _files(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, names in os.walk(root)
        for f in names)


def test_forward_flo_files_are_dis_flow(clips, tmp_path):
    out = tmp_path / 'flow'
    summary = _run(out, '--clips', clips)
    assert _files(out) == [
        'clip_a/frame_000.flo', 'clip_a/frame_001.flo',
        'clip_b/frame_000.flo', 'clip_b/frame_001.flo'
    ]
    assert summary['pairs'] == summary['computed'] == 4
    assert summary['skipped'] == 0 and summary['flow'] == 'DISFlow()'
    assert summary['flow_s_per_pair'] > 0
    for clip in ('clip_a', 'clip_b'):
        for i in (0, 1):
            expected = _dis(osp.join(clips, clip, f'frame_{i:03d}.png'),
                            osp.join(clips, clip, f'frame_{i + 1:03d}.png'))
            flow = read_flow(str(out / clip / f'frame_{i:03d}.flo'))
            assert np.array_equal(flow, expected)
    # frame i+1 is frame i moved by (-2, -1): f_{t->t+1} points there
    assert np.round(np.median(flow.reshape(-1, 2), 0)).tolist() == [-2, -1]


def test_backward_files_and_batches(clips, tmp_path):
    one = tmp_path / 'one'
    _run(one, '--clips', clips, '--direction', 'both')
    assert _files(one / 'clip_a') == [
        'frame_000.flo', 'frame_001.flo', 'frame_001_backward.flo',
        'frame_002_backward.flo'
    ]
    path = osp.join(clips, 'clip_b', 'frame_{:03d}.png')
    assert np.array_equal(
        read_flow(str(one / 'clip_b' / 'frame_002_backward.flo')),
        _dis(path.format(2), path.format(1)))
    assert np.round(np.median(read_flow(str(
        one / 'clip_b' / 'frame_002_backward.flo')).reshape(-1, 2),
        0)).tolist() == [2, 1]
    batched = tmp_path / 'batched'
    _run(batched, '--clips', clips, '--direction', 'both', '--batch-size',
         3)
    for name in _files(one):
        assert np.array_equal(read_flow(str(one / name)),
                              read_flow(str(batched / name))), name


def test_eval_tc_reads_the_files(clips, tmp_path):
    """eval_tc.py --flows on the written files = eval_tc.py with its own DIS
    flow, exactly."""
    out = tmp_path / 'flow'
    _run(out, '--clips', clips)
    preds = tmp_path / 'preds'
    rng = np.random.default_rng(0)
    for clip in ('clip_a', 'clip_b'):
        (preds / clip).mkdir(parents=True)
        base = (rng.random((12, 16)) * 3).astype(np.uint8)
        for i in range(3):
            pred = cv2.resize(base, (64, 48), interpolation=cv2.INTER_NEAREST)
            pred = np.roll(pred, (i, 2 * i), (0, 1))
            cv2.imwrite(str(preds / clip / f'frame_{i:03d}.png'), pred)
    common = ['--frames', clips, '--preds', str(preds), '--protocol', 'ssp',
              '--num-classes', '3']
    with_files = eval_tc.main(common + ['--flows', str(out)])
    with_dis = eval_tc.main(common)
    assert with_files['TC'] == with_dis['TC']
    assert with_files['per_clip'] == with_dis['per_clip']
    assert with_files['flow'].startswith('FileFlow')


def test_tps_names_and_values(clips, tmp_path):
    assert tool.tps_name('c/aachen_000000_000019_leftImg8bit.png',
                         'c/aachen_000000_000018_leftImg8bit.png') == \
        'aachen_000000_000019_000018_int16_x10.npy'
    assert tool.tps_name('val/0016E5_07959.png', 'val/0016E5_07961.png') \
        == '0016E5_07959_07961_int16_x10.npy'
    with pytest.raises(ValueError, match='a/b8.png: the TPS format needs a '
                       'frame number'):
        tool.tps_name('a/b8.png', 'a/c_1.png')
    out = tmp_path / 'tps'
    # both clips use the same frame names: a flat TPS folder would mix them
    with pytest.raises(ValueError, match=r'frame_001_000_int16_x10\.npy: '
                       'written by two pairs'):
        _run(out, '--clips', clips, '--format', 'tps', '--direction',
             'backward')
    os.rename(osp.join(clips, 'clip_b'), str(tmp_path / 'elsewhere'))
    _run(out, '--clips', clips, '--format', 'tps', '--direction', 'both')
    assert _files(out) == [
        'frame_000_001_int16_x10.npy', 'frame_001_000_int16_x10.npy',
        'frame_001_002_int16_x10.npy', 'frame_002_001_int16_x10.npy'
    ]
    stored = np.load(str(out / 'frame_002_001_int16_x10.npy'))
    expected = _dis(osp.join(clips, 'clip_a', 'frame_002.png'),
                    osp.join(clips, 'clip_a', 'frame_001.png'))
    assert stored.dtype == np.int16
    assert np.array_equal(stored, np.round(expected * 10).astype(np.int16))
    assert np.array_equal(
        read_flow(str(out / 'frame_002_001_int16_x10.npy')),
        stored.astype(np.float32) / 10)


def test_resume_skips_finished_files(clips, tmp_path, monkeypatch):
    out = tmp_path / 'flow'
    _run(out, '--clips', clips)
    done = out / 'clip_a' / 'frame_000.flo'
    done.write_bytes(b'kept')  # a finished file is never rewritten
    os.remove(str(out / 'clip_b' / 'frame_001.flo'))
    summary = _run(out, '--clips', clips, '--json', tmp_path / 's.json')
    assert (summary['computed'], summary['skipped']) == (1, 3)
    assert done.read_bytes() == b'kept'
    redone = read_flow(str(out / 'clip_b' / 'frame_001.flo'))
    assert redone.shape == (48, 64, 2)
    assert json.load(open(tmp_path / 's.json'))['computed'] == 1
    summary = _run(out, '--clips', clips)
    assert summary['computed'] == 0 and summary['flow_s_per_pair'] is None


def test_writes_are_atomic(clips, tmp_path, monkeypatch):
    out = tmp_path / 'flow'

    def failing_writer(path, flow):
        with open(path, 'wb') as f:
            f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setitem(tool.WRITERS, 'flo', failing_writer)
    with pytest.raises(OSError, match='disk full'):
        _run(out, '--clips', clips)
    assert _files(out) == []  # neither the final name nor the temporary


def test_any_estimator_mmflow_raft(tmp_path):
    """An mmflow model through --flow-options (random weights, 1 update)."""
    root = tmp_path / 'clips' / 'clip'
    root.mkdir(parents=True)
    for i in range(2):
        cv2.imwrite(str(root / f'{i}.png'), _textured(64, 72, seed=i))
    out = tmp_path / 'flow'
    config = 'mmflow::raft/raft_8xb2_100k_flyingchairs-368x496.py'
    summary = _run(out, '--clips', tmp_path / 'clips', '--flow',
                   'MMFlowEstimator', '--flow-options', f'config={config}',
                   'iters=1')
    assert summary['computed'] == 1 and 'iters=1' in summary['flow']
    flow = read_flow(str(out / 'clip' / '0.flo'))
    assert flow.shape == (64, 72, 2) and np.isfinite(flow).all()


def test_camvid_val_from_the_config(tmp_path, camvid_root):
    """Done-means check: the CamVid val clip (101 frames) gives 100 forward
    .flo files named after the frames of its folder."""
    camvid = camvid_root
    out = tmp_path / 'flow'
    summary = _run(
        out, '--config',
        osp.join(REPO_ROOT, 'configs', 'espnet',
                 'espnet_p2-q8_camvid-360x480.py'), '--cfg-options',
        f'test_dataloader.dataset.data_root={camvid}', '--flow-options',
        'preset=ultrafast')
    files = _files(out)
    assert summary['computed'] == len(files) == 100
    assert files[0] == 'val/0016E5_07959.flo'
    assert files[-1] == 'val/0016E5_08157.flo'
    assert read_flow(str(out / files[0])).shape == (360, 480, 2)


def test_bad_input(clips, tmp_path):
    with pytest.raises(ValueError, match='FileFlow reads flow files'):
        _run(tmp_path / 'o', '--clips', clips, '--flow', 'FileFlow',
             '--flow-options', 'flow_root=x')
    with pytest.raises(ValueError, match='--batch-size must be >= 1'):
        _run(tmp_path / 'o', '--clips', clips, '--batch-size', 0)
    with pytest.raises(FileNotFoundError, match='absent: clips folder'):
        _run(tmp_path / 'o', '--clips', tmp_path / 'absent')
    with pytest.raises(FileNotFoundError, match=r'absent\.py: config'):
        _run(tmp_path / 'o', '--config', tmp_path / 'absent.py')
    image_cfg = tmp_path / 'image.py'
    image_cfg.write_text(
        "test_dataloader = dict(dataset=dict(type='BaseSegDataset', "
        f"data_root='{clips}', lazy_init=True))\n")
    with pytest.raises(ValueError, match='BaseSegDataset is not a video '
                       'dataset'):
        _run(tmp_path / 'o', '--config', image_cfg)
    frame = osp.join(clips, 'clip_a', 'frame_002.png')
    cv2.imwrite(frame, np.zeros((40, 64, 3), np.uint8))
    with pytest.raises(ValueError, match=r'frame_002\.png: frame size '
                       r'\(40, 64\) differs from .*frame_001\.png'):
        _run(tmp_path / 'o', '--clips', clips)
