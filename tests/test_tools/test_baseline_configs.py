# Copyright (c) mmvseg contributors. All rights reserved.
"""The video baselines' configs (``configs/dff``, ``configs/netwarp``,
``configs/tcb``) run end to end on tiny generated data.

Every config trains for two iterations and runs a test pass (mIoU + TC):

- the paper's UAVid / RuralScapes configs on fake converted clips of 4
  frames (128x160 frames, 128x128 training crops: RAFT needs sides >= 128,
  Hiera sides in (32k - 4, 32k]), from the untrained image-model checkpoint
  and the random SAM2 / RAFT weight files of ``test_aerial_configs.py``
  (its fixtures), RAFT with one update;
- the CamVid configs on the generated demo clips at 96x128 (the demo
  config's pipelines), with a random ESPNet.

Test clips are long enough for each method's temporal path to run (DFF
frames after the key frame, NetWarp's recurrence, TCB from frame 3 on).
The complexity tool (``tools/analysis_tools/complexity.py``) is checked on
two CamVid configs.
"""
import copy
import os
import os.path as osp

import cv2
import mmengine
import numpy as np
import pytest
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.runner import Runner
from script_loader import REPO_ROOT, load_script

from mmvseg.utils.demo_data import generate_demo_camvid

aerial = load_script('tests', 'test_tools', 'test_aerial_configs.py')
complexity = load_script('tools', 'analysis_tools', 'complexity.py')
# fixtures of the aerial config tests: random weight files, the untrained
# image-model checkpoint, raw config text for the runner's log
weights = aerial.weights
image_checkpoint = aerial.image_checkpoint
plain_config_text = aerial.plain_config_text

FRAMES, CROP = (128, 160), (128, 128)
UAVID = '1xb4-250e-stop200e_uavid-736x736.py'
RURAL = '1xb4-100e-stop75e_ruralscapes-736x736.py'
AERIAL = [
    f'configs/{method}/{name}_hiera-s_{dataset}'
    for method, name in (('dff', 'dff'), ('netwarp', 'netwarp'),
                         ('tcb', 'tcb-ocr'), ('tcb', 'tcb-ppm'))
    for dataset in (UAVID, RURAL)
]
CAMVID = [
    f'configs/{method}/{name}_espnet-p2-q8_1xb4-2k_camvid-360x480.py'
    for method, name in (('dff', 'dff'), ('netwarp', 'netwarp'),
                         ('tcb', 'tcb-ocr'), ('tcb', 'tcb-ppm'))
]
DEMO = 'configs/ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'
SSP_CAMVID = 'configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py'
TYPES = {'dff': 'DFF', 'netwarp': 'NetWarp', 'tcb': 'TCB'}


def _write_clip(root, clip, stems, num_classes, rng):
    """Frames of a camera panning 2 px a frame, the last frame labelled."""
    h, w = FRAMES
    base = rng.integers(0, 256, (h // 8, w // 8 + 2, 3), np.uint8)
    base = cv2.resize(base, (w + 16, h), interpolation=cv2.INTER_CUBIC)
    folder = osp.join(root, 'data_1280x736', clip)
    os.makedirs(osp.join(folder, 'origin'))
    os.makedirs(osp.join(folder, 'mask'))
    for i, stem in enumerate(stems):
        assert cv2.imwrite(osp.join(folder, 'origin', stem + '.png'),
                           base[:, 2 * i:2 * i + w])
    label = rng.integers(0, num_classes, (h, w)).astype(np.uint8)
    label[:4] = 255
    assert cv2.imwrite(osp.join(folder, 'mask', stems[-1] + '.png'), label)


@pytest.fixture(scope='module')
def aerial_roots(tmp_path_factory):
    """UAVid and RuralScapes layouts: 4 train clips and 1 val clip of 4
    frames each, labelled on the last frame."""
    roots = {}
    rng = np.random.default_rng(0)
    for dataset, classes in (('uavid', 8), ('ruralscapes', 12)):
        root = str(tmp_path_factory.mktemp(dataset))
        clips = []
        for i in range(5):
            if dataset == 'uavid':
                clip = f'{i}_seq{16 if i == 4 else i + 1}_0'
                stems = [f'{100 * i + n:06d}' for n in range(97, 101)]
            else:
                video = '0051' if i == 4 else f'00{43 + i}'
                clip = f'{i}_DJI_{video}_0'
                stems = [f'segfull_DJI_{video}_{5 * n:06d}'
                         for n in range(1, 5)]
            _write_clip(root, clip, stems, classes, rng)
            clips.append(clip)
        for split, names in (('train', clips[:4]), ('val', clips[4:])):
            with open(osp.join(root, split + '.txt'), 'w') as f:
                f.write('\n'.join(names) + '\n')
        roots[dataset] = root
    return roots


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_camvid(root)
    return root


def loader_options(root):
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': root,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False
        })
    options['train_dataloader.batch_size'] = 2
    return options


def _transform_index(cfg, type_name):
    names = [t['type'] for t in
             cfg.train_dataloader.dataset.pipeline[1]['transforms']]
    return names.index(type_name)


def aerial_cfg(path, root, weights, checkpoint, work_dir):
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    transforms = 'train_dataloader.dataset.pipeline.1.transforms.'
    h, w = FRAMES
    options = loader_options(root)
    options.update({
        'model.data_preprocessor.size': CROP,
        f'{transforms}{_transform_index(cfg, "RandomCrop")}.crop_size': CROP,
        f'{transforms}{_transform_index(cfg, "RandomChoiceResize")}.scales':
        [(w, h), (int(w * 1.2), int(h * 1.2))],
        'model.image_model.init_cfg.checkpoint': checkpoint,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_begin': 2,  # no validation after the epoch
        'default_hooks.logger.interval': 1,
    })
    if 'flow' in cfg.model:
        options['model.flow.checkpoint'] = weights['raft']
        options['model.flow.num_flow_updates'] = 1
    for evaluator in ('val_evaluator', 'test_evaluator'):
        options[f'{evaluator}.1.flow.checkpoint'] = weights['raft']
        options[f'{evaluator}.1.flow.num_flow_updates'] = 1
    cfg.merge_from_dict(options)
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(path)[:-3]
    return cfg


def camvid_cfg(path, root, work_dir):
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    demo = Config.fromfile(osp.join(REPO_ROOT, DEMO))
    cfg.merge_from_dict(loader_options(root))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.pipeline = copy.deepcopy(
            demo[loader].dataset.pipeline)
    cfg.val_dataloader.dataset.clip_len = demo.val_dataloader.dataset.clip_len
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.data_preprocessor.size = demo.model.data_preprocessor.size
    cfg.model.image_model.init_cfg = None  # no ESPNet weights here
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(path)[:-3]
    return cfg


def train_and_test(cfg):
    """Two iterations and a test pass; returns (runner, test metrics)."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    losses, _ = runner.message_hub.get_scalar('train/loss').data
    assert len(losses) == 2 and np.isfinite(losses).all()
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100
    assert 0 <= metrics['tc_ssp/TC'] <= 100
    return runner, metrics


def check_model(runner, path, crop=None):
    """Model type, training items (frames, and their size when ``crop``),
    trained parts."""
    model = runner.model
    method = path.split('/')[1]
    assert type(model).__name__ == TYPES[method]
    shape = tuple(runner.train_dataloader.dataset[0]['inputs'].shape)
    assert shape[:2] == (4 if method == 'tcb' else 2, 3)
    assert crop is None or shape[2:] == crop
    in_optimizer = {
        id(p) for group in runner.optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    trained = [model.image_model]
    if method == 'netwarp':
        trained.append(model.flow_cnn)
    if method == 'tcb':
        trained += [model.clip_block, model.fuse_conv]
    if method != 'tcb' and model.flow.trainable:  # RAFT: trained with it
        trained.append(model.flow)
    for module in trained:
        params = list(module.parameters())
        assert params and all(p.requires_grad for p in params)
        assert {id(p) for p in params} <= in_optimizer
    return model


@pytest.mark.parametrize('path', AERIAL, ids=osp.basename)
def test_aerial_config(path, aerial_roots, weights, image_checkpoint,
                       tmp_path):
    dataset = 'uavid' if 'uavid' in path else 'ruralscapes'
    ckpt_path, ckpt_state = image_checkpoint
    cfg = aerial_cfg(path, aerial_roots[dataset], weights, ckpt_path,
                     tmp_path)
    runner, _ = train_and_test(cfg)
    model = check_model(runner, path, CROP)
    assert model.decode_head.num_classes == (8 if dataset == 'uavid' else 12)
    assert model.logits_upsample == 'bicubic'
    # the image model comes from the image-model checkpoint
    aerial.assert_close_to(model.image_model, ckpt_state, 'image_model.')
    if 'tcb' in path:
        block = 'ClipOCRBlock' if 'tcb-ocr' in path else 'ClipPPMBlock'
        assert type(model.clip_block).__name__ == block
        assert model.clip_block.in_channels == 768
    else:
        assert model.flow.trainable and model.legacy_grid
        assert model.flow.num_flow_updates == 1  # 8 in the config


@pytest.mark.parametrize('path', CAMVID, ids=osp.basename)
def test_camvid_config(path, demo_root, tmp_path):
    cfg = camvid_cfg(path, demo_root, tmp_path)
    runner, _ = train_and_test(cfg)
    model = check_model(runner, path)  # random crops, padded in the model
    if 'tcb' not in path:
        assert type(model.flow).__name__ == 'DISFlow'
        assert not list(model.flow.parameters())


def test_paper_settings():
    """The repository's settings (FraunhoferIVI/SSP config/video/dff_*.yaml,
    netwarp_*.yaml, tcbocr_*.yaml, tcbppm_*.yaml)."""
    for path in AERIAL:
        cfg = Config.fromfile(osp.join(REPO_ROOT, path))
        model = cfg.model
        optimizer = cfg.optim_wrapper.optimizer
        assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
            ('AdamW', 5e-5, 0.05)
        assert cfg.train_cfg.max_epochs == (200 if 'uavid' in path else 75)
        assert cfg.train_dataloader.batch_size == 4
        assert tuple(model.data_preprocessor.size) == (736, 736)
        assert model.logits_upsample == 'bicubic'
        assert model.image_model.init_cfg.prefix == 'image_model.'
        assert model.image_model.backbone.init_cfg is None
        refs = cfg.train_dataloader.dataset.ref_offsets
        if model.type == 'TCB':
            assert refs == [-1, -2, -3] and model.ref_offsets == refs
            assert model.first_frames == 'image_model'
            assert model.get('repo_ppm_builds_ocr', False) is False
            block = model.clip_block
            assert (block.in_channels, block.channels) == (768, 768)
        else:
            assert refs == [-1]
            assert model.flow == dict(
                type='RAFTFlow', variant='large',
                checkpoint='checkpoints/raft_large_things.pth',
                num_flow_updates=8, input_mode='repo_normalized',
                trainable=True)
            assert (model.warp_mode, model.legacy_grid) == ('bilinear', True)
        if model.type == 'DFF':
            assert (model.key_interval, model.propagation) == (8, 'previous')
        if model.type == 'NetWarp':
            assert model.flow_cnn == dict(type='NetWarpFlowCNN')
    ssp = Config.fromfile(osp.join(REPO_ROOT, SSP_CAMVID))
    for path in CAMVID:
        cfg = Config.fromfile(osp.join(REPO_ROOT, path))
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                    'val_evaluator', 'test_evaluator'):
            assert cfg[key] == ssp[key], key
        assert cfg.train_dataloader.dataset.ref_offsets == (
            [-1, -2, -3] if 'tcb' in path else [-1])
        if 'tcb' not in path:
            assert cfg.model.flow == dict(type='DISFlow')
        assert cfg.model.image_model.init_cfg.checkpoint == \
            ssp.model.image_model.init_cfg.checkpoint
        assert 'freeze' not in cfg.model


def test_complexity_tool(tmp_path):
    """tools/analysis_tools/complexity.py over one DFF key interval (frames
    3..10): DFF = (one key frame + 7 propagated frames) / 8, a propagated
    frame being the classifier, the flow resize and the feature warp (the
    counter's rules: 4 flops per output element of bilinear upsampling and
    of grid_sample; DIS flow runs in OpenCV: 0 flops, no parameters); TCB
    in the steady state = the image model + the clip block + the fuse
    conv."""
    dff_path, tcb_path = CAMVID[0], CAMVID[3]
    out = complexity.main([
        dff_path, tcb_path, '--size', '96', '128', '--repeats', '1',
        '--json', str(tmp_path / 'complexity.json')
    ])
    dff, tcb = out['results']
    assert (dff['model'], tcb['model']) == ('DFF', 'TCB-PPM')
    image = complexity.build_models(
        Config.fromfile(osp.join(REPO_ROOT, dff_path)))['image']
    frames = complexity.normalise(image, complexity.synthetic_clip(
        1, 96, 128))
    feats = image.extract_feat(frames)
    feature = image.head_feature(feats)  # (1, 12, 48, 64), stride 2

    def gflops(module, *inputs):
        analyzer = FlopAnalyzer(module, inputs)
        analyzer.unsupported_ops_warnings(False)
        return analyzer.total() / 1e9

    key = gflops(image.image_model.backbone, frames) + gflops(
        image.decode_head, feats)
    step = (gflops(image.decode_head.conv_seg, feature) +
            4 * (2 + 12) * 48 * 64 / 1e9)
    assert dff['video']['gflops']['total'] == pytest.approx((key + 7 * step)
                                                            / 8)
    # mmseg's inference resizes the (full-size) logits once more
    assert dff['image']['gflops']['total'] == pytest.approx(
        key + 4 * 12 * 96 * 128 / 1e9)
    assert dff['video']['params_m'] == dict(
        image_model=dff['image']['params_m']['total'], flow=0.0,
        data_preprocessor=0.0, total=dff['image']['params_m']['total'])
    video, alone = tcb['video'], tcb['image']
    # one backbone pass a frame: the references' levels are kept
    assert video['gflops']['image_model'] == pytest.approx(
        alone['gflops']['total'] - 4 * 12 * 96 * 128 / 1e9)
    assert video['gflops']['total'] == pytest.approx(
        video['gflops']['image_model'] + video['gflops']['clip_block'] +
        video['gflops']['fuse_conv'])
    assert video['params_m']['total'] == pytest.approx(
        alone['params_m']['total'] + video['params_m']['clip_block'] +
        video['params_m']['fuse_conv'])
    for result in out['results']:
        assert result['video']['ms'] > 0 and result['image']['ms'] > 0
    assert mmengine.load(str(tmp_path / 'complexity.json')) == out
