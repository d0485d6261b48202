# Copyright (c) mmvseg contributors. All rights reserved.
"""The demo on the real CamVid val clip (``../shared/data/camvid/val``, the
15 Hz drive 0016E5), as a folder of frames and as a lossless mp4 made from
it with OpenCV: the ESPNet image model (``VideoEncoderDecoder``) and SSP
(the real ESPNet weights with a seeded similarity head) give the label maps
of ``tools/test.py``'s path (the config's test dataset item through
``model.test_step``), and ``eval_tc.py`` on the saved PNGs gives the TC of
the config's ``TemporalConsistencyMetric``.

The first ``NUM_FRAMES`` frames (one test clip of that length) keep the test
short; ``docs/en/user_guides/inference.md`` records the same check on the
whole 101-frame clip with ``tools/test.py`` itself.
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from video_files import write_video

from mmvseg.apis import init_model, load_config
from mmvseg.registry import DATASETS, METRICS
from mmvseg.utils import list_images, read_indexed_png, read_label
from script_loader import REPO_ROOT, load_script

NUM_FRAMES = 16
CONFIGS = dict(
    espnet='configs/espnet/espnet_p2-q8_camvid-360x480.py',
    ssp='configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py')


@pytest.fixture(scope='module')
def espnet_checkpoint(tmp_path_factory):
    weights = osp.join(
        osp.dirname(REPO_ROOT), 'shared', 'weights', 'espnet',
        'espnet_p_2_q_8_camvid.pth')
    if not osp.isfile(weights):
        pytest.skip(f'{weights} is absent: this test needs ../shared')
    converter = load_script('tools', 'model_converters', 'espnet2mmvseg.py')
    state = converter.read_source_checkpoint(weights)
    path = str(tmp_path_factory.mktemp('ckpt') / 'espnet_camvid.pth')
    torch.save(dict(state_dict=converter.convert_espnet(state)), path)
    return path


def build_checkpoint(name, espnet_checkpoint, folder):
    """ESPNet: the converted weights; SSP: those under ``image_model.`` and
    a similarity head seeded with 0."""
    if name == 'espnet':
        return espnet_checkpoint
    torch.manual_seed(0)
    model = init_model(osp.join(REPO_ROOT, CONFIGS['ssp']), espnet_checkpoint)
    path = str(folder / 'ssp_espnet_seeded.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='module', params=['espnet', 'ssp'])
def case(request, espnet_checkpoint, tmp_path_factory):
    """(name, config, checkpoint, model, reference clip) where the reference
    is ``model.test_step`` on the first test item of ``NUM_FRAMES``
    frames."""
    camvid = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'camvid')
    folder = tmp_path_factory.mktemp(request.param)
    checkpoint = build_checkpoint(request.param, espnet_checkpoint, folder)
    config = osp.join(REPO_ROOT, CONFIGS[request.param])
    model = init_model(config, checkpoint)
    cfg = load_config(config).test_dataloader.dataset
    cfg.update(data_root=camvid, clip_len=NUM_FRAMES)
    dataset = DATASETS.build(cfg)
    with torch.no_grad():
        clip = model.test_step(pseudo_collate([dataset[0]]))[0]
    assert len(clip) == NUM_FRAMES
    return request.param, config, checkpoint, clip, folder


def labels(clip):
    return [f.pred_sem_seg.data[0].numpy() for f in clip.video_data_samples]


def run_demo(config, checkpoint, source, out_dir, png_mode='palette'):
    demo = load_script('demo', 'video_demo.py')
    return demo.main([
        config, checkpoint, source, '--save-pngs', out_dir, '--png-mode',
        png_mode, '--max-frames',
        str(NUM_FRAMES), '--no-progress'
    ])


def test_folder_and_lossless_mp4_equal_the_test_path_and_tc(case):
    name, config, checkpoint, clip, folder = case
    val = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'camvid', 'val')
    frames = list_images(val)[:NUM_FRAMES]
    expected = labels(clip)
    # the folder, with palette PNGs (the default)
    palette = str(folder / 'palette')
    assert run_demo(config, checkpoint, val, palette)['frames'] == NUM_FRAMES
    pngs = list_images(osp.join(palette, 'val'))
    assert len(pngs) == NUM_FRAMES
    for path, ref in zip(pngs, expected):
        np.testing.assert_array_equal(read_indexed_png(path), ref)
    # a lossless mp4 made from the frames with OpenCV, gray PNGs
    mp4 = write_video(
        str(folder / 'val.mp4'), [cv2.imread(p) for p in frames], 'FFV1',
        fps=15)
    gray = str(folder / 'gray')
    run_demo(config, checkpoint, mp4, gray, 'gray')
    pngs = list_images(osp.join(gray, 'val'))
    assert len(pngs) == NUM_FRAMES
    for path, ref in zip(pngs, expected):
        np.testing.assert_array_equal(read_label(path), ref)
    # eval_tc.py (one sub-folder per clip, frames and PNGs paired by name)
    # gives the TC of the config's metric on tools/test.py's predictions
    frames_root = folder / 'frames' / 'val'
    frames_root.mkdir(parents=True)
    for path in frames:
        os.symlink(path, frames_root / osp.basename(path))
    eval_tc = load_script('tools', 'analysis_tools', 'eval_tc.py')
    report = eval_tc.main([
        '--frames', str(folder / 'frames'), '--preds', palette, '--protocol',
        'ssp', '--num-classes', '12'
    ])
    metric_cfg = [
        m for m in load_config(config).test_evaluator
        if m['type'] == 'TemporalConsistencyMetric'
    ][0]
    metric = METRICS.build(metric_cfg)
    metric.process(None, [clip])
    expected_tc = metric.summarize(metric.results)['TC']
    assert report['TC'] == pytest.approx(expected_tc, abs=1e-12)
    assert 0.5 < expected_tc < 1.0
