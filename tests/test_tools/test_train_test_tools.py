# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/train.py, tools/test.py and tools/dist_train.sh end to end.

Each test runs the real command lines (subprocesses) for a handful of
iterations on tiny data: the generated demo clips, or a few real CamVid
frames from ../shared.
"""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest

from mmvseg.utils.demo_data import generate_demo_camvid

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = 'configs/ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'
SSP_CAMVID = 'configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py'


def run(args, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True,
        timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def data_options(root, iters):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1'
    ]


def parse_test_metrics(log):
    match = re.search(r'Iter\(test\).*?mIoU: ([\d.]+).*?tc_ssp/TC: ([\d.]+)',
                      log)
    assert match, log[-2000:]
    miou, tc = float(match.group(1)), float(match.group(2))
    assert 0 <= miou <= 100 and 0 <= tc <= 100
    return miou, tc


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_camvid(root)
    return root


def test_demo_train_resume_and_test_with_show_dir(demo_root, tmp_path):
    work = str(tmp_path / 'work')
    log = run([sys.executable, 'tools/train.py', DEMO_CONFIG, '--work-dir',
               work, '--cfg-options'] + data_options(demo_root, 2))
    assert 'loss_tc' in log and osp.isfile(osp.join(work, 'iter_2.pth'))
    log = run([sys.executable, 'tools/train.py', DEMO_CONFIG, '--work-dir',
               work, '--resume', '--cfg-options'] +
              data_options(demo_root, 3))
    assert 'resumed epoch: 0, iter: 2' in log
    assert osp.isfile(osp.join(work, 'iter_3.pth'))
    show = str(tmp_path / 'show')
    log = run([
        sys.executable, 'tools/test.py', DEMO_CONFIG,
        osp.join(work, 'iter_3.pth'), '--work-dir', work, '--show-dir', show,
        '--cfg-options'
    ] + data_options(demo_root, 3))
    parse_test_metrics(log)
    clips = sorted(f for f in os.listdir(show) if f.endswith('.mp4'))
    assert clips == ['DemoV_0.mp4']
    assert len(os.listdir(osp.join(show, 'DemoV_0'))) == 16


def test_dist_train_two_processes_gloo(demo_root, tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    work = str(tmp_path / 'dist')
    env_port = dict(os.environ, PORT=str(port), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir', work,
         '--cfg-options'] + data_options(demo_root, 2) +
        ['train_dataloader.batch_size=2'],
        cwd=REPO, env=env_port, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert osp.isfile(osp.join(work, 'iter_2.pth'))


def test_ssp_on_real_camvid_frames(camvid_root, espnet_weights, tmp_path):
    """A few SSP iterations and a test pass on real CamVid frames."""
    ckpt = str(tmp_path / 'espnet.pth')
    run([sys.executable, 'tools/model_converters/espnet2mmvseg.py',
         espnet_weights, ckpt])
    with open(osp.join(camvid_root, 'train.txt')) as f:
        train_lines = f.readlines()[:3]
    with open(osp.join(camvid_root, 'val.txt')) as f:
        val_lines = f.readlines()[:3]
    (tmp_path / 'train.txt').write_text(''.join(train_lines))
    (tmp_path / 'val.txt').write_text(''.join(val_lines))
    work = str(tmp_path / 'work')
    options = data_options(camvid_root, 2) + [
        f'model.image_model.init_cfg.checkpoint={ckpt}',
        f'train_dataloader.dataset.ann_file={tmp_path / "train.txt"}',
        f'val_dataloader.dataset.ann_file={tmp_path / "val.txt"}',
        f'test_dataloader.dataset.ann_file={tmp_path / "val.txt"}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]
    log = run([sys.executable, 'tools/train.py', SSP_CAMVID, '--work-dir',
               work, '--cfg-options'] + options)
    assert 'loss_tc' in log
    log = run([sys.executable, 'tools/test.py', SSP_CAMVID,
               osp.join(work, 'iter_2.pth'), '--work-dir', work,
               '--cfg-options'] + options)
    miou, _ = parse_test_metrics(log)
    assert miou > 50  # the frozen ESPNet keeps its quality on these frames


def test_image_model_checkpoint_through_test_py(camvid_root, espnet_weights,
                                                tmp_path):
    """An image-model checkpoint loads into the per-frame video model."""
    ckpt = str(tmp_path / 'espnet.pth')
    run([sys.executable, 'tools/model_converters/espnet2mmvseg.py',
         espnet_weights, ckpt])
    with open(osp.join(camvid_root, 'val.txt')) as f:
        (tmp_path / 'val.txt').write_text(''.join(f.readlines()[:2]))
    log = run([
        sys.executable, 'tools/test.py',
        'configs/espnet/espnet_p2-q8_camvid-360x480.py', ckpt, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={camvid_root}',
        f'test_dataloader.dataset.ann_file={tmp_path / "val.txt"}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    assert 'loaded under image_model.' in log
    miou, _ = parse_test_metrics(log)
    assert miou > 60
