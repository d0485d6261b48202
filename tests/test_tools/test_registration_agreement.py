# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/analysis_tools/registration_agreement.py on generated clips."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from script_loader import REPO_ROOT, load_script

tool = load_script('tools', 'analysis_tools', 'registration_agreement.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'ssp',
                  'ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py')
SIFT = [
    '--cfg-options', 'model.registration._delete_=True',
    'model.registration.type=HomographyRegistration',
    'model.registration.method=sift'
]


def _write_pan(folder, frames=4, height=120, width=160, step=2):
    """PNG frames of a textured scene panning ``step`` px right a frame."""
    rng = np.random.default_rng(0)
    coarse = rng.random((height // 8, (width + step * frames) // 8, 3))
    scene = cv2.resize(coarse.astype(np.float32),
                       (width + step * frames, height),
                       interpolation=cv2.INTER_CUBIC)
    scene = (np.clip(scene, 0, 1) * 255).astype(np.uint8)
    folder.mkdir()
    for t in range(frames):
        crop = scene[:, step * t:step * t + width]
        cv2.imwrite(str(folder / f'{t:05d}.png'), crop)
    return str(folder)


def test_half_resolution_agrees_with_full_resolution(tmp_path):
    clips = [_write_pan(tmp_path / 'a'), _write_pan(tmp_path / 'b')]
    out = tmp_path / 'agreement.json'
    result = tool.main([
        CONFIG, *clips, '--scales', '0.5', '--pairs', '2', '--device',
        'cpu', '--json',
        str(out), *SIFT
    ])
    assert json.loads(out.read_text()) == result
    assert result['registration'] == 'HomographyRegistration'
    assert result['clips'] == 2 and result['pairs'] == 4
    assert set(result['scales']) == {'1.0', '0.5'}
    assert set(result['scales']['1.0']) == {'ms_per_frame'}
    half = result['scales']['0.5']
    assert half['median_px'] <= half['p90_px'] <= half['max_px'] < 0.5


def test_bad_clips_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing: clip folder'):
        tool.main([CONFIG, str(tmp_path / 'missing'), *SIFT])
    single = tmp_path / 'single'
    single.mkdir()
    cv2.imwrite(str(single / '0.png'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match='single: a clip needs at least 2'):
        tool.main([CONFIG, str(single), *SIFT])
    cv2.imwrite(str(single / '1.png'), np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(ValueError, match=r'1.png: frame of size \(8, 9\)'):
        tool.main([CONFIG, str(single), *SIFT])
    with pytest.raises(ValueError, match='--scales must be in'):
        tool.main([CONFIG, str(single), '--scales', '1.0', *SIFT])
    image_model = osp.join(
        REPO_ROOT, 'configs', 'hiera',
        'upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py')
    with pytest.raises(ValueError, match='736x1280.py: no model.regis'):
        tool.main([image_model, str(single)])
