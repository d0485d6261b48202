# Copyright (c) mmvseg contributors. All rights reserved.
"""Installed, not only cloned: a wheel built from the repository, installed
into a fresh virtual environment beside the pinned stack, runs the
inferencer with an ``mmvseg::`` config name from outside the repository.

No network: ``pip wheel --no-index --no-deps --no-build-isolation`` with the
setuptools of the current environment, and the fresh environment sees the
pinned packages (torch, mmcv, mmseg, ...) through a ``.pth`` line naming the
current ``site-packages`` (whose own ``.pth`` files, e.g. an editable
mmvseg, are not processed from there). About 30 s on 2 CPU cores.
"""
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from script_loader import REPO_ROOT

#: What the wheel build needs from the repository.
SOURCES = ('setup.py', 'setup.cfg', 'MANIFEST.in', 'README.md', 'LICENSE',
           'requirements', 'mmvseg', 'configs', 'tools', 'demo',
           'model-index.yml')
CONFIG = 'ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'

SCRIPT = r'''
import json, os, sys
import numpy as np
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.infer import BaseInferencer
import mmvseg

name = 'mmvseg::' + sys.argv[1]
# after ``import mmvseg`` alone, mmengine resolves the name (hub) and as a
# _base_ of a user's config
report = dict(hub=get_config(name).filename)
with open('user_config.py', 'w') as f:
    f.write(f'_base_ = [{name!r}]\nmodel = dict(sim_head=dict(channels=8))\n')
user = Config.fromfile('user_config.py')
report['user_sim_channels'] = user.model.sim_head.channels
from mmvseg.apis import VideoSegInferencer, config_root, init_model
report.update(package=mmvseg.__file__, config_root=config_root())
report['models'] = [m['Name'] for m in
                    BaseInferencer._get_models_from_metafile(config_root())]
torch.manual_seed(0)
torch.save(dict(state_dict=init_model(name).state_dict()), 'ckpt.pth')
inferencer = VideoSegInferencer(name, 'ckpt.pth', show_progress=False)
rng = np.random.default_rng(0)
frames = [rng.integers(0, 256, (96, 128, 3), np.uint8) for _ in range(3)]
result = inferencer(frames, return_preds=True, png_dir='pngs')
report['frames'] = result['summary']['frames']
report['shape'] = list(result['predictions'][0]['sem_seg'].shape)
report['pngs'] = sorted(os.listdir('pngs/video'))
print('REPORT ' + json.dumps(report))
'''


def copy_sources(dst):
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim',
                                    '*.egg-info')
    for name in SOURCES:
        src = os.path.join(REPO_ROOT, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, name), ignore=ignore)
        else:
            shutil.copyfile(src, os.path.join(dst, name))


def run(cmd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env=env, **kwargs)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def test_wheel_installs_configs_and_runs_outside_the_repository(tmp_path):
    if not hasattr(sys, '_base_executable'):
        pytest.skip('no base interpreter to create a virtual environment')
    source = tmp_path / 'source'
    source.mkdir()
    copy_sources(str(source))
    run([sys.executable, '-m', 'pip', 'wheel', str(source), '--no-deps',
         '--no-index', '--no-build-isolation', '-q', '-w',
         str(tmp_path / 'dist')])
    wheel, = (tmp_path / 'dist').glob('mmvseg-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ('mmvseg/.mim/model-index.yml',
                 'mmvseg/.mim/configs/' + CONFIG,
                 'mmvseg/.mim/configs/_base_/default_runtime.py',
                 'mmvseg/.mim/configs/ssp/metafile.yaml',
                 'mmvseg/.mim/tools/test.py',
                 'mmvseg/.mim/demo/video_demo.py',
                 'mmvseg/apis/inferencer.py'):
        assert path in names, path
    # a fresh environment beside the pinned stack
    venv = tmp_path / 'venv'
    run([sys._base_executable, '-m', 'venv', '--without-pip', str(venv)])
    python = str(venv / 'bin' / 'python')
    purelib = run([python, '-c', 'import sysconfig; '
                   'print(sysconfig.get_paths()["purelib"])']).strip()
    stack = [sysconfig.get_paths()['purelib']] + site.getsitepackages()
    with open(os.path.join(purelib, 'pinned_stack.pth'), 'w') as f:
        f.write('\n'.join(dict.fromkeys(stack)) + '\n')
    run([sys.executable, '-m', 'pip', '--python', python, 'install',
         '--no-deps', '--no-index', '-q', str(wheel)])
    outside = tmp_path / 'outside'
    outside.mkdir()
    out = run([python, '-c', SCRIPT, CONFIG], cwd=str(outside))
    report = json.loads(out.split('REPORT ', 1)[1])
    mim = os.path.join(purelib, 'mmvseg', '.mim')
    assert report['package'] == os.path.join(purelib, 'mmvseg',
                                             '__init__.py')
    assert report['config_root'] == mim
    assert report['hub'] == os.path.join(mim, 'configs', CONFIG)
    assert report['user_sim_channels'] == 8
    assert 'ssp_espnet-p2-q8_1xb4-2k_camvid-360x480' in report['models']
    assert report['frames'] == 3 and report['shape'] == [96, 128]
    assert report['pngs'] == ['00000.png', '00001.png', '00002.png']
