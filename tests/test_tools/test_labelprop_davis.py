# Copyright (c) mmvseg contributors. All rights reserved.
"""Label propagation end to end: save_init_checkpoint.py, then
``tools/test.py`` with the Lab config on the first frames of one real
DAVIS-2016 video (car-shadow)."""
import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmvseg.utils.io import read_indexed_png

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DAVIS2016 = osp.join(osp.dirname(REPO), 'shared', 'data', 'davis2016')
CONFIG = 'configs/labelprop/labelprop_lab_davis2017-480p.py'
TOOL = osp.join(REPO, 'tools', 'misc', 'save_init_checkpoint.py')
NUM_FRAMES = 6


def save_init_checkpoint(argv):
    spec = importlib.util.spec_from_file_location('save_init_checkpoint',
                                                  TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def test_save_init_checkpoint_of_weight_free_model(tmp_path):
    out = str(tmp_path / 'sub' / 'init.pth')
    checkpoint = save_init_checkpoint([osp.join(REPO, CONFIG), out])
    assert checkpoint['state_dict'] == {}
    assert torch.load(out)['meta']['config'].endswith(osp.basename(CONFIG))


def test_save_init_checkpoint_seed_fixes_random_weights(tmp_path):
    config = osp.join(REPO, 'configs', 'labelprop',
                      'labelprop_r18-random_davis2016-480p.py')
    first, again, other = (save_init_checkpoint(
        [config, str(tmp_path / f'{i}.pth'), '--seed',
         str(seed)])['state_dict'] for i, seed in enumerate((0, 0, 1)))
    key = 'backbone.layer3.1.conv2.weight'
    assert first[key].shape == (256, 256, 3, 3)
    assert torch.equal(first[key], again[key])
    assert not torch.equal(first[key], other[key])


def test_tools_test_on_real_davis2016_video(tmp_path):
    if not osp.isdir(DAVIS2016):
        pytest.skip(f'{DAVIS2016} is absent: the real DAVIS-2016 fixture '
                    'lives in the read-only shared folder')
    ckpt = str(tmp_path / 'lab_init.pth')
    save_init_checkpoint([osp.join(REPO, CONFIG), ckpt])
    video_list = tmp_path / 'one_video.txt'
    video_list.write_text('car-shadow\n')
    results = str(tmp_path / 'results')
    proc = subprocess.run(
        [
            sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir',
            str(tmp_path / 'work'), '--cfg-options',
            f'test_dataloader.dataset.data_root={DAVIS2016}',
            f'test_dataloader.dataset.ann_file={video_list}',
            'test_dataloader.dataset.binary_masks=True',
            f'test_dataloader.dataset.max_frames={NUM_FRAMES}',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False',
            f'test_evaluator.0.output_dir={results}'
        ],
        cwd=REPO,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    match = re.search(r'davis/J&F-Mean: ([\d.]+)', log)
    assert match, log[-3000:]
    jf = float(match.group(1))
    # raw Lab colours, 5 propagated frames: about 53 (J 65, F 40)
    assert 35 < jf <= 100, log[-3000:]
    assert 'car-shadow_1' in log
    pngs = sorted(os.listdir(osp.join(results, 'car-shadow')))
    assert pngs == [f'{i:05d}.png' for i in range(NUM_FRAMES)]
    last = read_indexed_png(osp.join(results, 'car-shadow', pngs[-1]))
    assert last.shape == (480, 854)
    assert set(np.unique(last)) <= {0, 1} and last.any()
