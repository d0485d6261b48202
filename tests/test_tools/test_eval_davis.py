# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/analysis_tools/eval_davis.py on generated folders and on the real
DAVIS-2016 fixture (official numbers)."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmvseg.datasets.davis import davis_palette

from script_loader import REPO_ROOT, load_script

DAVIS2016 = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'davis2016')
GLOBAL_KEYS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean',
               'F-Recall', 'F-Decay')


@pytest.fixture(scope='module')
def tool():
    return load_script('tools', 'analysis_tools', 'eval_davis.py')


def write_png(path, ids, palette=True):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(np.asarray(ids, np.uint8))
    if palette:
        img.putpalette(davis_palette().ravel().tolist())
    img.save(path)


def make_davis(root, videos, binary=False, subset='val'):
    """``videos``: {name: (gts, preds)} written in the official layout;
    a None prediction is not written."""
    root = str(root)
    for name, (gts, preds) in videos.items():
        for t, (gt, pred) in enumerate(zip(gts, preds)):
            write_png(
                osp.join(root, 'DAVIS', 'Annotations', '480p', name,
                         f'{t:05d}.png'), gt, palette=not binary)
            if pred is not None:
                write_png(
                    osp.join(root, 'results', name, f'{t:05d}.png'), pred)
    os.makedirs(osp.join(root, 'DAVIS', 'ImageSets', '2017'), exist_ok=True)
    with open(osp.join(root, 'DAVIS', 'ImageSets', '2017', f'{subset}.txt'),
              'w') as f:
        f.write('\n'.join(videos) + '\n')
    return osp.join(root, 'DAVIS'), osp.join(root, 'results')


def toy_videos():
    """Video a: object 1 found in frame 1, lost in frame 2 (J = F = [1, 0]);
    video b: objects 1 and 2 plus void, predicted exactly."""
    a = np.zeros((4, 8, 8), np.uint8)
    a[:, 2:6, 2:6] = 1
    a_pred = a.copy()
    a_pred[2] = 0
    b = np.zeros((3, 8, 8), np.uint8)
    b[:, :3, :3] = 1
    b[:, 5:, 5:] = 2
    b[:, 3, :] = 255
    b_pred = np.where(b == 255, 0, b)
    return dict(a=(list(a), list(a_pred)), b=(list(b), list(b_pred)))


def test_toy_dataset_scores_and_json(tool, tmp_path, capsys):
    davis, results = make_davis(tmp_path, toy_videos())
    out = str(tmp_path / 'jf.json')
    report = tool.main(['--davis-root', davis, '--results', results, '--json',
                        out, '--per-frame'])
    with open(out) as f:
        assert json.load(f) == report
    assert report['binary_gt'] is False
    assert list(report['per_object']) == ['a_1', 'b_1', 'b_2']
    assert report['per_object']['a_1'] == {
        'J': 0.5,
        'F': 0.5,
        'J-Recall': 0.5,
        'J-Decay': 1.0,
        'F-Recall': 0.5,
        'F-Decay': 1.0
    }
    assert report['per_frame']['a_1'] == dict(
        frames=['00001', '00002'], J=[1.0, 0.0], F=[1.0, 0.0])
    # means over the three objects
    assert report['J-Mean'] == pytest.approx(2.5 / 3, abs=1e-15)
    assert report['J-Decay'] == pytest.approx(1 / 3, abs=1e-15)
    assert report['J&F-Mean'] == pytest.approx(2.5 / 3, abs=1e-15)
    printed = capsys.readouterr().out
    assert 'Global results for val' in printed and 'b_2' in printed


def test_sequences_and_binary_detection(tool, tmp_path, capsys):
    gt = np.zeros((3, 8, 8), np.uint8)
    gt[:, 2:6, 2:6] = 255  # DAVIS-2016 grayscale 0/255
    pred = (gt > 0).astype(np.uint8)
    videos = dict(x=(list(gt), list(pred)), y=(list(gt), list(pred)))
    davis, results = make_davis(tmp_path, videos, binary=True)
    report = tool.main(
        ['--davis-root', davis, '--results', results, '--sequences', 'y'])
    assert report['binary_gt'] is True
    assert list(report['per_object']) == ['y_1']
    assert report['J&F-Mean'] == 1.0
    assert 'binary 0/255 ground truth detected' in capsys.readouterr().out


def test_first_and_last_results_are_not_needed(tool, tmp_path):
    videos = toy_videos()
    gts, preds = videos['a']
    videos['a'] = (gts, [None] + preds[1:-1] + [None])
    davis, results = make_davis(tmp_path, videos)
    report = tool.main(['--davis-root', davis, '--results', results])
    assert report['per_object']['a_1']['J'] == 0.5


def test_errors_name_the_file(tool, tmp_path):
    davis, results = make_davis(tmp_path, toy_videos())
    args = ['--davis-root', davis, '--results', results]
    missing = osp.join(results, 'a', '00002.png')
    os.rename(missing, missing + '.bak')
    with pytest.raises(FileNotFoundError, match='a/00002.png'):
        tool.main(args)
    os.rename(missing + '.bak', missing)

    bad = osp.join(results, 'b', '00001.png')
    write_png(bad, np.zeros((8, 9)))
    with pytest.raises(ValueError, match=r'b/00001.png: result size \(8, 9\)'
                       r'.*Annotations/480p/b/00001.png'):
        tool.main(args)
    with open(bad, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n broken')
    with pytest.raises(ValueError, match='b/00001.png: truncated'):
        tool.main(args)
    write_png(bad, np.full((8, 8), 3))
    with pytest.raises(ValueError, match='b frame 00001.*object id 3'):
        tool.main(args)
    with pytest.raises(FileNotFoundError, match='ImageSets/2017/test.txt'):
        tool.main(args + ['--set', 'test'])
    with pytest.raises(FileNotFoundError, match='Annotations/480p/zz'):
        tool.main(args + ['--sequences', 'zz'])


def test_reproduces_the_official_evaluator(tool, tmp_path):
    """OSVOS on 8 DAVIS-2016 videos: every number of the official
    davis2017-evaluation run (osvos_reference_jf.json)."""
    if not osp.isdir(DAVIS2016):
        pytest.skip(f'{DAVIS2016} absent: needs ../shared')
    with open(osp.join(DAVIS2016, 'osvos_reference_jf.json')) as f:
        reference = json.load(f)
    out = str(tmp_path / 'jf.json')
    report = tool.main([
        '--davis-root', DAVIS2016, '--results',
        osp.join(DAVIS2016, 'osvos_davis2017_results'), '--set', 'val',
        '--json', out, '--per-frame'
    ])
    assert report['binary_gt'] is True
    for key in GLOBAL_KEYS:
        assert abs(report[key] - reference[key]) <= 1e-12, key
    assert list(report['per_object']) == list(reference['per_object'])
    for name, values in reference['per_object'].items():
        for key, value in values.items():
            assert abs(report['per_object'][name][key] - value) <= 1e-12
    for name, values in reference['per_frame'].items():
        assert report['per_frame'][name]['frames'] == values['frames']
        np.testing.assert_allclose(
            report['per_frame'][name]['J'], values['J'], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            report['per_frame'][name]['F'], values['F'], rtol=0, atol=1e-12)
