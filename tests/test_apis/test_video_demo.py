# Copyright (c) mmvseg contributors. All rights reserved.
"""``demo/video_demo.py`` as a user runs it: outputs, errors, and label
propagation from a first-frame mask (equal to ``tools/test.py``'s path on
the same DAVIS-layout video)."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image
from video_files import write_video

from mmvseg.apis import init_model
from mmvseg.datasets.davis import davis_palette
from mmvseg.registry import DATASETS
from mmvseg.utils import list_images, read_indexed_png
from script_loader import REPO_ROOT, load_script

LAB_CONFIG = osp.join(REPO_ROOT, 'configs', 'labelprop',
                      'labelprop_lab_davis2017-480p.py')


@pytest.fixture(scope='module')
def demo():
    return load_script('demo', 'video_demo.py')


def test_demo_writes_video_pngs_and_summary(demo, demo_data, demo_checkpoint,
                                            tmp_path, capsys):
    frames = [cv2.imread(p) for p in list_images(osp.join(demo_data, 'val'))]
    video = write_video(str(tmp_path / 'drive.avi'), frames, 'MJPG', fps=30)
    out = str(tmp_path / 'out' / 'drive.mp4')
    summary = demo.main([
        osp.join(REPO_ROOT, 'configs', 'ssp',
                 'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'),
        demo_checkpoint, video, '--out', out, '--save-pngs',
        str(tmp_path / 'pngs'), '--every', '2', '--max-frames', '5',
        '--opacity', '0.7'
    ])
    printed = capsys.readouterr().out
    assert '5 frames segmented (0 skipped)' in printed
    assert '5/5' in printed  # the progress bar
    assert summary['frames'] == 5 and summary['every'] == 2
    assert summary['fps_in'] == 30
    assert json.load(open(osp.join(tmp_path, 'out', 'drive.json')))[
        'frames'] == 5
    names = [osp.basename(p) for p in list_images(str(tmp_path / 'pngs' /
                                                      'drive'))]
    assert names == [f'{i:05d}.png' for i in (0, 2, 4, 6, 8)]
    capture = cv2.VideoCapture(out)
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 5
    assert capture.get(cv2.CAP_PROP_FPS) == 15  # 30 fps / every 2


@pytest.mark.parametrize('args,match', [
    (['SOURCE_MISSING'], 'no such video file or folder'),
    (['CONFIG_MISSING'], 'config file not found'),
    (['--opacity', '2'], r'--opacity must be in \[0, 1\]'),
    (['--first-mask', 'm.png'], 'first_mask is for label propagation'),
])
def test_demo_errors_are_one_clear_line(demo, demo_data, demo_checkpoint,
                                        tmp_path, args, match):
    config = osp.join(REPO_ROOT, 'configs', 'ssp',
                      'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py')
    source = osp.join(demo_data, 'val')
    if args == ['SOURCE_MISSING']:
        source, args = str(tmp_path / 'none.mp4'), []
    if args == ['CONFIG_MISSING']:
        config, args = str(tmp_path / 'none.py'), []
    if '--first-mask' in args:
        args[1] = osp.join(demo_data, 'valannot', 'DemoV_000000.png')
    with pytest.raises(SystemExit, match=match) as error:
        demo.main([config, demo_checkpoint, source, '--no-progress'] + args)
    assert str(error.value).startswith('video_demo.py: error: ')


def test_demo_runs_as_a_script(demo_data, demo_checkpoint, tmp_path):
    proc = subprocess.run([
        sys.executable, 'demo/video_demo.py',
        'mmvseg::ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py',
        demo_checkpoint, str(tmp_path / 'missing'), '--out',
        str(tmp_path / 'o.mp4')
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f'video_demo.py: error: {tmp_path / "missing"}: no such video file '
        'or folder of frames')


def make_davis_video(root, num=6, height=64, width=96):
    """A DAVIS-layout video: two squares that move on a textured ground,
    the first frame annotated (palette PNG, ids 1 and 2)."""
    rng = np.random.default_rng(0)
    ground = rng.integers(60, 120, (height, width + 4 * num, 3), np.uint8)
    frames_dir = osp.join(root, 'JPEGImages', '480p', 'squares')
    annot_dir = osp.join(root, 'Annotations', '480p', 'squares')
    os.makedirs(frames_dir)
    os.makedirs(annot_dir)
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('squares\n')
    for t in range(num):
        image = ground[:, 2 * t:2 * t + width].copy()
        ids = np.zeros((height, width), np.uint8)
        ids[10:30, 10 + 3 * t:30 + 3 * t] = 1
        ids[36:56, 60 - 2 * t:80 - 2 * t] = 2
        image[ids == 1] = (20, 200, 30)
        image[ids == 2] = (200, 40, 180)
        cv2.imwrite(osp.join(frames_dir, f'{t:05d}.jpg'), image)
        if t == 0:
            png = Image.fromarray(ids)
            png.putpalette(davis_palette().ravel().tolist())
            png.save(osp.join(annot_dir, '00000.png'))
    return frames_dir, osp.join(annot_dir, '00000.png')


def test_label_propagation_from_a_first_mask(demo, tmp_path):
    """The demo's --first-mask run gives the predictions of tools/test.py's
    path (DAVISDataset item -> LabelPropagator.test_step)."""
    root = str(tmp_path / 'davis')
    frames_dir, mask = make_davis_video(root)
    ckpt = str(tmp_path / 'lab.pth')
    torch.save(dict(state_dict={}), ckpt)
    summary = demo.main([
        LAB_CONFIG, ckpt, frames_dir, '--first-mask', mask, '--save-pngs',
        str(tmp_path / 'results'), '--out', str(tmp_path / 'squares.mp4'),
        '--no-progress'
    ])
    assert summary['frames'] == 6 and summary['model'] == 'LabelPropagator'
    model = init_model(LAB_CONFIG, ckpt)
    cfg = model.cfg.test_dataloader.dataset.copy()
    cfg.data_root = root
    with torch.no_grad():
        video = model.test_step(pseudo_collate([DATASETS.build(cfg)[0]]))[0]
    pngs = list_images(str(tmp_path / 'results' / 'squares'))
    # the eval_davis.py layout: <results>/<video>/<frame>.png
    assert [osp.basename(p) for p in pngs] == [f'{t:05d}.png' for t in
                                               range(6)]
    for path, frame in zip(pngs, video.video_data_samples):
        np.testing.assert_array_equal(read_indexed_png(path),
                                      frame.pred_sem_seg.data[0].numpy())
    last = read_indexed_png(pngs[-1])
    assert set(np.unique(last)) == {0, 1, 2}  # both objects propagated


def test_label_propagation_needs_the_first_mask(demo, tmp_path):
    frames_dir, _ = make_davis_video(str(tmp_path / 'davis'))
    ckpt = str(tmp_path / 'lab.pth')
    torch.save(dict(state_dict={}), ckpt)
    with pytest.raises(SystemExit,
                       match='first-frame annotation: give first_mask'):
        demo.main([LAB_CONFIG, ckpt, frames_dir, '--no-progress'])
    with pytest.raises(SystemExit, match='none.png'):
        demo.main([LAB_CONFIG, ckpt, frames_dir, '--no-progress',
                   '--first-mask', str(tmp_path / 'none.png')])
