# Copyright (c) mmvseg contributors. All rights reserved.
"""Label propagation end to end on the first frames of one real DAVIS-2016
video (car-shadow): save_init_checkpoint.py or a checkpoint converter, then
``tools/test.py``."""
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmvseg.models.backbones import CRWResNet, ViTPatchTokens
from mmvseg.utils.io import read_indexed_png

from script_loader import REPO_ROOT, load_script

DAVIS2016 = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'davis2016')
CONFIG = 'configs/labelprop/labelprop_lab_davis2017-480p.py'
NUM_FRAMES = 6


def save_init_checkpoint(argv):
    return load_script('tools', 'misc', 'save_init_checkpoint.py').main(argv)


def test_save_init_checkpoint_of_weight_free_model(tmp_path):
    out = str(tmp_path / 'sub' / 'init.pth')
    checkpoint = save_init_checkpoint([osp.join(REPO_ROOT, CONFIG), out])
    assert checkpoint['state_dict'] == {}
    assert torch.load(out)['meta']['config'].endswith(osp.basename(CONFIG))


def test_save_init_checkpoint_seed_fixes_random_weights(tmp_path):
    config = osp.join(REPO_ROOT, 'configs', 'labelprop',
                      'labelprop_r18-random_davis2016-480p.py')
    first, again, other = (save_init_checkpoint(
        [config, str(tmp_path / f'{i}.pth'), '--seed',
         str(seed)])['state_dict'] for i, seed in enumerate((0, 0, 1)))
    key = 'backbone.layer3.1.conv2.weight'
    assert first[key].shape == (256, 256, 3, 3)
    assert torch.equal(first[key], again[key])
    assert not torch.equal(first[key], other[key])


def run_tool(argv, timeout=300):
    """Run a repository script as a user does; return its log."""
    proc = subprocess.run([sys.executable] + argv,
                          cwd=REPO_ROOT,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log


def propagate_car_shadow(config, ckpt, data_root, tmp_path, num_frames):
    """``tools/test.py`` on the first frames of car-shadow; returns J&F
    and the last predicted id map."""
    video_list = tmp_path / 'one_video.txt'
    video_list.write_text('car-shadow\n')
    results = str(tmp_path / 'results')
    log = run_tool([
        'tools/test.py', config, ckpt, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.ann_file={video_list}',
        'test_dataloader.dataset.binary_masks=True',
        f'test_dataloader.dataset.max_frames={num_frames}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'test_evaluator.0.output_dir={results}'
    ])
    match = re.search(r'davis/J&F-Mean: ([\d.]+)', log)
    assert match, log[-3000:]
    assert 'car-shadow_1' in log
    pngs = sorted(os.listdir(osp.join(results, 'car-shadow')))
    assert pngs == [f'{i:05d}.png' for i in range(num_frames)]
    last = read_indexed_png(osp.join(results, 'car-shadow', pngs[-1]))
    assert set(np.unique(last)) <= {0, 1}
    return float(match.group(1)), last


def skip_without_davis2016():
    if not osp.isdir(DAVIS2016):
        pytest.skip(f'{DAVIS2016} is absent: the real DAVIS-2016 fixture '
                    'lives in the read-only shared folder')


def test_tools_test_on_real_davis2016_video(tmp_path):
    skip_without_davis2016()
    ckpt = str(tmp_path / 'lab_init.pth')
    save_init_checkpoint([osp.join(REPO_ROOT, CONFIG), ckpt])
    jf, last = propagate_car_shadow(CONFIG, ckpt, DAVIS2016, tmp_path,
                                  NUM_FRAMES)
    # raw Lab colours, 5 propagated frames: about 53 (J 65, F 40)
    assert 35 < jf <= 100
    assert last.shape == (480, 854) and last.any()


def test_crw_checkpoint_converted_then_propagated(tmp_path):
    """videowalk-layout weights -> crw2mmvseg.py -> tools/test.py (CRW
    preset, native 480p)."""
    skip_without_davis2016()
    torch.manual_seed(0)
    encoder = CRWResNet(depth=18, padding_mode='reflect')
    encoder.init_weights()
    source = {f'encoder.model.{k}': v for k, v in encoder.state_dict().items()}
    source['selfsim_fc.0.weight'] = torch.randn(128, 256)
    torch.save(dict(model=source), tmp_path / 'pretrained.pth')
    ckpt = str(tmp_path / 'crw.pth')
    run_tool([
        'tools/model_converters/crw2mmvseg.py',
        str(tmp_path / 'pretrained.pth'), ckpt
    ])
    jf, last = propagate_car_shadow(
        'configs/labelprop/labelprop_crw-r18_davis2017-480p.py', ckpt,
        DAVIS2016, tmp_path, 4)
    assert 0 <= jf <= 100 and last.shape == (480, 854)


def test_vit_checkpoint_converted_then_propagated_at_480x880(tmp_path):
    """DINO hub-layout weights -> vit2mmvseg.py; car-shadow -> the 480x880
    copy (davis_480x880.py); tools/test.py with the CatMAE-protocol config
    scores against the resized annotations."""
    skip_without_davis2016()
    torch.manual_seed(0)
    vit = ViTPatchTokens(arch='vit_small_patch16')
    source = dict(vit.state_dict(), **{'head.weight': torch.zeros(1)})
    torch.save(source, tmp_path / 'dino_vits16.pth')
    ckpt = str(tmp_path / 'dino.pth')
    run_tool([
        'tools/model_converters/vit2mmvseg.py', '--source', 'dino',
        str(tmp_path / 'dino_vits16.pth'), ckpt
    ])
    data_880 = str(tmp_path / 'davis_480x880')
    run_tool([
        'tools/dataset_converters/davis_480x880.py', DAVIS2016, data_880,
        '--videos', 'car-shadow'
    ])
    jf, last = propagate_car_shadow(
        'configs/labelprop/labelprop_dino-vit-s16_davis2017-480x880.py',
        ckpt, data_880, tmp_path, 3)
    assert 0 <= jf <= 100 and last.shape == (480, 880)
