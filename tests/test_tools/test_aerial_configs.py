# Copyright (c) mmvseg contributors. All rights reserved.
"""The SSP paper configs on UAVid / RuralScapes, run end to end on tiny data.

Every config of ``configs/hiera/`` and the SSP paper configs of
``configs/ssp/`` (image models, teachers, untrained image model, SSP,
ablations, lambda sweep) trains for one epoch of two iterations and runs a
test pass (mIoU + TC) on fake converted clips (128x160 frames: RAFT needs
sides >= 128, Hiera sides in (32k - 4, 32k]); the untrained image model is
saved by ``tools/misc/save_init_checkpoint.py`` and tested. All weights are
random files in the layouts the configs read: SAM 2 (original
``image_encoder.trunk.*`` layout, converted by
``tools/model_converters/sam2_hiera2mmvseg.py``), DISK (``{'extractor':
...}``), LightGlue (legacy ``self_attn.<i>`` keys) and RAFT (torchvision
layout). The full SSP on UAVid goes through ``tools/train.py`` and
``tools/test.py``; the other configs run in-process with
``Runner.from_cfg``. The schedules are checked against the closed-form
learning-rate factor of FraunhoferIVI/SSP ``utils/schedulers.py``.
"""
import copy
import functools
import math
import os
import os.path as osp
import re
import subprocess
import sys
from collections import OrderedDict

import cv2
import numpy as np
import pytest
import timm
import torch
from kornia.feature import DISK, LightGlue
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmengine.runner import Runner
from torchvision.models.optical_flow import raft_large

from mmvseg.models.registration.disk_lightglue import lightglue_disk_config

from script_loader import REPO_ROOT, load_script

HIERA = 'configs/hiera/'
SSP = 'configs/ssp/'
IMAGE_UAVID = HIERA + 'upernet_hiera-s_1xb4-250e-stop200e_uavid-736x1280.py'
IMAGE_RURAL = HIERA + \
    'upernet_hiera-s_1xb4-100e-stop75e_ruralscapes-736x1280.py'
TEACHER_UAVID = HIERA + \
    'upernet_hiera-bp_1xb4-250e-stop200e_uavid-1440x1440.py'
TEACHER_RURAL = HIERA + \
    'upernet_hiera-bp_1xb4-100e-stop75e_ruralscapes-1440x1440.py'
UNTRAINED = HIERA + 'upernet_hiera-s_untrained_uavid-736x1280.py'
SSP_UAVID = SSP + 'ssp_hiera-s_1xb4-250e-stop200e_uavid-736x736.py'
SSP_RURAL = SSP + 'ssp_hiera-s_1xb4-100e-stop75e_ruralscapes-736x736.py'
# ablation / lambda variant of the UAVid SSP config -> the only flattened keys
# it may change
SWITCHES = {
    'cossim': ('model.sim_head.', ),
    'no-registration': ('model.registration.', ),
    'no-interpolation': ('model.sim_head.', ),
    'no-tc-loss': ('model.loss_tc', ),
    'untrained-image':
    ('image_model_checkpoint', 'model.image_model.init_cfg.checkpoint'),
    'lambda-0.2': ('model.loss_tc.loss_weight', ),
    'lambda-0.35': ('model.loss_tc.loss_weight', ),
    'lambda-0.65': ('model.loss_tc.loss_weight', ),
}
ABLATIONS = {
    f'ssp-{variant}_hiera-s_1xb4-250e-stop200e_uavid-736x736.py': keys
    for variant, keys in SWITCHES.items()
}
# frame sizes (H, W) of the fake converted copies; training crops of the
# video models (RAFT needs >= 128 px) and of the teachers
SMALL, FULL, CROP, TEACHER_CROP = (128, 160), (128, 192), (128, 128), (64, 64)
TC_KEY = 'tc_ssp/TC'


@functools.lru_cache(maxsize=None)
def load_cfg(path):
    """The parsed config (cached: parsing takes a while; copy to change)."""
    return Config.fromfile(osp.join(REPO_ROOT, path))


save_init_checkpoint = load_script('tools', 'misc', 'save_init_checkpoint.py')
sam2_converter = load_script('tools', 'model_converters',
                             'sam2_hiera2mmvseg.py')


@pytest.fixture(scope='module', autouse=True)
def plain_config_text():
    """The Runner formats ``cfg.pretty_text`` with yapf three times per run
    (seconds each on a busy CPU) only to log and store it; the in-process
    runs get the raw file text instead."""
    patch = pytest.MonkeyPatch()
    patch.setattr(Config, 'pretty_text', property(lambda self: self.text))
    yield
    patch.undo()


# --------------------------------------------------------------------- #
# fake converted data: <root>/{data,data_1280x736}/<clip>/{origin,mask}/
def _write_clip(root, clip, stems, labelled, num_classes, rng):
    for copy_dir, (h, w) in (('data_1280x736', SMALL), ('data', FULL)):
        base = rng.integers(0, 256, (h // 8, w // 8, 3), np.uint8)
        base = cv2.resize(base, (w + 16, h), interpolation=cv2.INTER_CUBIC)
        for i, stem in enumerate(stems):
            folder = osp.join(root, copy_dir, clip)
            os.makedirs(osp.join(folder, 'origin'), exist_ok=True)
            os.makedirs(osp.join(folder, 'mask'), exist_ok=True)
            # the camera pans by 2 px per frame
            frame = base[:, 2 * i:2 * i + w]
            assert cv2.imwrite(
                osp.join(folder, 'origin', stem + '.png'), frame)
            if i in labelled:
                label = rng.integers(0, num_classes, (h, w)).astype(np.uint8)
                label[:4] = 255
                assert cv2.imwrite(
                    osp.join(folder, 'mask', stem + '.png'), label)


def _write_split(root, split, clips):
    with open(osp.join(root, split + '.txt'), 'w') as f:
        f.write('\n'.join(clips) + '\n')


@pytest.fixture(scope='module')
def uavid_root(tmp_path_factory):
    """4 train clips (2 frames, the last labelled: 2 batches of 2) and one
    val clip of 2 frames, UAVid names."""
    root = str(tmp_path_factory.mktemp('uavid'))
    rng = np.random.default_rng(0)
    train = [f'{i}_seq{i + 1}_0' for i in range(4)]
    for clip in train:
        _write_clip(root, clip, ['000099', '000100'], [1], 8, rng)
    _write_clip(root, '4_seq16_0', ['000001', '000002'], [1], 8, rng)
    _write_split(root, 'train', train)
    _write_split(root, 'val', ['4_seq16_0'])
    return root


@pytest.fixture(scope='module')
def rural_root(tmp_path_factory):
    """2 train clips of 3 frames labelled at 0 and 2 (4 items, a labelled
    first frame included) and one val clip of 2 frames, RuralScapes
    names."""
    root = str(tmp_path_factory.mktemp('rural'))
    rng = np.random.default_rng(1)
    for video in ('0043', '0044'):
        _write_clip(root, f'{video[-1]}_DJI_{video}_0',
                    [f'segfull_DJI_{video}_{n:06d}' for n in (5, 10, 15)],
                    [0, 2], 12, rng)
    _write_clip(root, '2_DJI_0051_0',
                [f'segfull_DJI_0051_{n:06d}' for n in (5, 10)], [0], 12, rng)
    _write_split(root, 'train', ['3_DJI_0043_0', '4_DJI_0044_0'])
    _write_split(root, 'val', ['2_DJI_0051_0'])
    return root


# --------------------------------------------------------------------- #
# random weight files in the layouts the configs read
def _sam2_original_checkpoint(arch):
    """``{'model': ...}`` with a random trunk in the facebookresearch/sam2
    layout (``image_encoder.trunk.*``, ``mlp.layers.0/1``)."""
    with torch.device('meta'):
        layout = timm.create_model(
            arch, pretrained=False, features_only=True,
            out_indices=(0, 1, 2, 3)).state_dict()
    generator = torch.Generator().manual_seed(0)
    model = OrderedDict()
    for key, value in layout.items():
        key = key[len('model.'):].replace('mlp.fc1.', 'mlp.layers.0.')
        key = key.replace('mlp.fc2.', 'mlp.layers.1.')
        model['image_encoder.trunk.' + key] = torch.randn(
            value.shape, generator=generator) * 0.05
    model['image_encoder.neck.convs.0.conv.weight'] = torch.zeros(256, 768)
    return dict(model=model)


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    """Paths of random SAM2 Hiera-S (converted by the repository's tool),
    DISK, LightGlue and RAFT weight files, and the converted SAM2 tensors."""
    root = tmp_path_factory.mktemp('weights')
    torch.manual_seed(0)
    sam2_src, sam2 = str(root / 'sam2_hiera_small.pt'), str(root / 's.pth')
    torch.save(_sam2_original_checkpoint('sam2_hiera_small'), sam2_src)
    sam2_converter.main([sam2_src, sam2])
    disk, lightglue, raft = (str(root / n) for n in ('disk.pth', 'lg.pth',
                                                     'raft.pth'))
    torch.save({'extractor': DISK().state_dict()}, disk)
    matcher = LightGlue(None, **lightglue_disk_config())
    torch.save(
        {
            re.sub(r'^transformers\.(\d+)\.(self_attn|cross_attn)\.',
                   r'\2.\1.', k): v
            for k, v in matcher.state_dict().items()
            if k != 'confidence_thresholds'
        }, lightglue)
    torch.save(raft_large(weights=None, progress=False).state_dict(), raft)
    return dict(
        sam2=sam2,
        disk=disk,
        lightglue=lightglue,
        raft=raft,
        sam2_state=torch.load(sam2, weights_only=True)['state_dict'])


@pytest.fixture(scope='module')
def image_checkpoint(weights, tmp_path_factory):
    """The untrained image model saved by tools/misc/save_init_checkpoint.py
    (SAM2 backbone from the converted file + a random UPerHead): path and
    state dict."""
    out = str(tmp_path_factory.mktemp('untrained') / 'init.pth')
    checkpoint = save_init_checkpoint.main([
        osp.join(REPO_ROOT, UNTRAINED), out, '--cfg-options',
        f'model.image_model.backbone.init_cfg.checkpoint={weights["sam2"]}'
    ])
    return out, checkpoint['state_dict']


# --------------------------------------------------------------------- #
def _transform_index(cfg, type_name):
    """Position of ``type_name`` in the train pipeline's clip broadcaster."""
    transforms = cfg.train_dataloader.dataset.pipeline[1]['transforms']
    names = [t['type'] for t in transforms]
    assert type_name in names, names
    return names.index(type_name)


def tiny_overrides(cfg, data_root, weights, image_ckpt=None):
    """``--cfg-options`` of a config for the fake data: tiny sizes, the
    random weight files, 2 clips a batch, one epoch, 1 RAFT update."""
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': data_root,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False
        })
    options['train_dataloader.batch_size'] = 2
    size = tuple(cfg.model.data_preprocessor.size)
    transforms = 'train_dataloader.dataset.pipeline.1.transforms.'
    if size == (736, 1280):  # full frames
        options['model.data_preprocessor.size'] = SMALL
    else:
        crop = CROP if cfg.model.type == 'SSP' else TEACHER_CROP
        options['model.data_preprocessor.size'] = crop
        options[f'{transforms}{_transform_index(cfg, "RandomCrop")}.'
                'crop_size'] = crop
    image_model = cfg.model.image_model
    if cfg.model.type == 'SSP':
        h, w = SMALL
        options[f'{transforms}{_transform_index(cfg, "RandomChoiceResize")}'
                '.scales'] = [(w, h), (int(w * 1.2), int(h * 1.2))]
        options['model.image_model.init_cfg.checkpoint'] = image_ckpt
        options['model.flow.checkpoint'] = weights['raft']
        options['model.flow.num_flow_updates'] = 1
        if cfg.model.registration.type == 'DiskLightGlueRegistration':
            options.update({
                'model.registration.disk_weights': weights['disk'],
                'model.registration.lightglue_weights': weights['lightglue'],
                'model.registration.num_keypoints': 64
            })
    elif image_model.backbone.arch == 'sam2_hiera_small':
        options['model.image_model.backbone.init_cfg.checkpoint'] = \
            weights['sam2']
    else:  # Hiera-B+ teacher: no SAM2 B+ file, random backbone
        options['model.image_model.backbone.init_cfg'] = None
    for evaluator in ('val_evaluator', 'test_evaluator'):
        options[f'{evaluator}.1.flow.checkpoint'] = weights['raft']
        options[f'{evaluator}.1.flow.num_flow_updates'] = 1
    options.update({
        'train_cfg.max_epochs': 1,
        'train_cfg.val_begin': 2,  # no validation after the epoch
        'default_hooks.logger.interval': 1,
    })
    return options


def tiny_cfg(path, data_root, weights, work_dir, image_ckpt=None):
    """The config on the fake data (see :func:`tiny_overrides`), without
    checkpoint saving (the command-line test checks that)."""
    cfg = copy.deepcopy(load_cfg(path))
    cfg.merge_from_dict(tiny_overrides(cfg, data_root, weights, image_ckpt))
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(path)[:-3]
    return cfg


def check_test_metrics(metrics):
    assert 0 <= metrics['mIoU'] <= 100 and 0 <= metrics[TC_KEY] <= 100
    assert metrics['tc_ssp/TC_flow'].startswith(
        'RAFTFlow(variant=large, checkpoint=')


def train_and_test(cfg):
    """Two iterations and a test pass; returns (runner, test metrics)."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2 and runner.epoch == 1
    losses, _ = runner.message_hub.get_scalar('train/loss').data
    assert len(losses) == 2 and np.isfinite(losses).all()
    metrics = runner.test()
    check_test_metrics(metrics)
    return runner, metrics


def assert_close_to(module, state_dict, prefix):
    """The first 50 parameters of ``module`` equal the checkpoint's up to
    two warm-up steps (|change| < 1e-4; random init would be far off)."""
    params = dict(module.named_parameters())
    names = [k for k in params if prefix + k in state_dict][:50]
    assert len(names) == 50
    for name in names:
        torch.testing.assert_close(
            params[name].detach(), state_dict[prefix + name].float(),
            atol=1e-4, rtol=0)


# --------------------------------------------------------------------- #
def _run(args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log


def test_ssp_train_and_test_cli(uavid_root, weights, image_checkpoint,
                                tmp_path):
    """tools/train.py then tools/test.py on the UAVid SSP config: SSP
    trained from the image-model checkpoint, saved, reloaded, scored."""
    ckpt_path, ckpt_state = image_checkpoint
    options = tiny_overrides(
        load_cfg(SSP_UAVID), uavid_root, weights, ckpt_path)
    options.update({
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.save_optimizer': False
    })
    options = [
        f'{key}={value!r}' if value is None or isinstance(
            value, (list, tuple)) else f'{key}={value}'
        for key, value in options.items()
    ]
    work = str(tmp_path / 'work')
    log = _run([sys.executable, 'tools/train.py', SSP_UAVID, '--work-dir',
                work, '--cfg-options'] + options)
    assert re.search(
        r'Epoch\(train\) \[1\]\[2/2\].*loss: [\d.]+.*loss_tc: [\d.]+', log)
    checkpoint = osp.join(work, 'epoch_1.pth')
    state = torch.load(checkpoint, map_location='cpu',
                       weights_only=False)['state_dict']
    assert {k.split('.')[0] for k in state} == {
        'image_model', 'sim_head', 'registration', 'flow'}
    torch.testing.assert_close(
        state['image_model.backbone.trunk.model.pos_embed'],
        ckpt_state['image_model.backbone.trunk.model.pos_embed'],
        atol=1e-4, rtol=0)
    log = _run([sys.executable, 'tools/test.py', SSP_UAVID, checkpoint,
                '--work-dir', work, '--cfg-options'] + options)
    match = re.search(
        r'(?:Epoch|Iter)\(test\).*?mIoU: ([\d.]+).*?tc_ssp/TC: ([\d.]+)', log)
    assert match, log[-2000:]
    assert 0 <= float(match.group(1)) <= 100
    assert 0 <= float(match.group(2)) <= 100


def test_untrained_image_model_checkpoint_and_test(uavid_root, weights,
                                                   image_checkpoint,
                                                   tmp_path):
    """save_init_checkpoint.py: SAM2 backbone loaded, head random; the saved
    VideoEncoderDecoder checkpoint (image_model.*) goes through a test."""
    path, state = image_checkpoint
    for key, value in weights['sam2_state'].items():
        torch.testing.assert_close(state['image_model.' + key], value)
    assert 'image_model.decode_head.conv_seg.weight' in state
    cfg = tiny_cfg(UNTRAINED, uavid_root, weights, tmp_path)
    cfg.load_from = path
    check_test_metrics(Runner.from_cfg(cfg).test())


@pytest.mark.parametrize('path,root,classes', [
    (IMAGE_UAVID, 'uavid_root', 8),
    (IMAGE_RURAL, 'rural_root', 12),
],
                         ids=['uavid', 'ruralscapes'])
def test_image_model(path, root, classes, weights, tmp_path, request):
    cfg = tiny_cfg(path, request.getfixturevalue(root), weights, tmp_path)
    runner, _ = train_and_test(cfg)
    model = runner.model
    assert model.decode_head.num_classes == classes
    # one labelled frame per item: (N, 1, 3, H, W) clips
    item = runner.train_dataloader.dataset[0]
    assert tuple(item['inputs'].shape) == (1, 3) + SMALL
    assert_close_to(model.image_model.backbone, weights['sam2_state'],
                    'backbone.')


@pytest.mark.parametrize('path,root', [(TEACHER_UAVID, 'uavid_root'),
                                       (TEACHER_RURAL, 'rural_root')],
                         ids=['uavid', 'ruralscapes'])
def test_teacher(path, root, weights, tmp_path, request):
    cfg = tiny_cfg(path, request.getfixturevalue(root), weights, tmp_path)
    runner, _ = train_and_test(cfg)
    assert runner.model.image_model.backbone.arch == 'sam2_hiera_base_plus'
    # random crops of the full-size copy; tested on its whole frames
    item = runner.train_dataloader.dataset[0]
    assert tuple(item['inputs'].shape) == (1, 3) + TEACHER_CROP
    item = runner.test_dataloader.dataset[0]
    assert tuple(item['inputs'].shape[-2:]) == FULL


SSP_RUNS = [(SSP_RURAL, 'rural_root')] + [(SSP + name, 'uavid_root')
                                          for name in ABLATIONS]


@pytest.mark.parametrize(
    'path,root', SSP_RUNS, ids=[osp.basename(p) for p, _ in SSP_RUNS])
def test_ssp(path, root, weights, image_checkpoint, tmp_path, request):
    ckpt_path, ckpt_state = image_checkpoint
    cfg = tiny_cfg(path, request.getfixturevalue(root), weights, tmp_path,
                   ckpt_path)
    runner, _ = train_and_test(cfg)
    model = runner.model
    # (t-1, t) pairs at the crop size
    item = runner.train_dataloader.dataset[0]
    assert tuple(item['inputs'].shape) == (2, 3) + CROP
    # the image model comes from the image-model checkpoint
    assert_close_to(model.image_model, ckpt_state, 'image_model.')
    scalars = runner.message_hub.log_scalars
    if model.loss_tc is None:
        assert 'train/loss_tc' not in scalars
    else:
        losses_tc, _ = scalars['train/loss_tc'].data
        assert len(losses_tc) == 2 and np.isfinite(losses_tc).all()
        match = re.search(r'ssp-lambda-([\d.]+)_', path)
        assert model.loss_tc.loss_weight == \
            (float(match.group(1)) if match else 0.5)
    assert model.logits_upsample == 'bicubic' and model.feature_index == 0

# --------------------------------------------------------------------- #
def _flatten(value, prefix=''):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f'{prefix}{key}.'))
        return out or {prefix[:-1]: {}}
    if isinstance(value, (list, tuple)):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f'{prefix}{i}.'))
        return out or {prefix[:-1]: type(value)()}
    return {prefix[:-1]: value}


def _config_diff(path_a, path_b):
    a = _flatten(load_cfg(path_a).to_dict())
    b = _flatten(load_cfg(path_b).to_dict())
    return {k for k in set(a) | set(b) if a.get(k, 'absent') != b.get(
        k, 'absent')}


@pytest.mark.parametrize('name', sorted(ABLATIONS))
def test_ablation_changes_only_its_switch(name):
    diff = _config_diff(SSP_UAVID, SSP + name)
    assert diff and all(k.startswith(ABLATIONS[name]) for k in diff), diff


def test_dataset_variants_differ_only_in_dataset_and_schedule():
    allowed = ('num_classes', 'num_epochs', 'stop_epoch', 'dataset_type',
               'data_root', 'image_model_checkpoint', 'param_scheduler.1.end',
               'param_scheduler.1.T_max', 'train_cfg.max_epochs',
               'train_cfg.val_interval')
    for uavid, rural in ((IMAGE_UAVID, IMAGE_RURAL),
                         (SSP_UAVID, SSP_RURAL),
                         (TEACHER_UAVID, TEACHER_RURAL)):
        diff = _config_diff(uavid, rural)
        unexpected = {
            k for k in diff if not k.startswith(allowed) and not re.search(
                r'(dataset\.(type|data_root)|decode_head\.num_classes|'
                r'init_cfg\.checkpoint)$', k)
        }
        assert not unexpected, (uavid, unexpected)
        assert {'num_classes', 'train_cfg.max_epochs'} <= diff


def test_paper_settings():
    """The paper's training settings (FraunhoferIVI/SSP config/image/*.yaml,
    config/video/*.yaml) in the configs."""
    expected = {
        IMAGE_UAVID: (2.5e-5, 200, (736, 1280), 'data_1280x736', []),
        IMAGE_RURAL: (2.5e-5, 75, (736, 1280), 'data_1280x736', []),
        TEACHER_UAVID: (2.5e-5, 200, (1440, 1440), 'data', []),
        TEACHER_RURAL: (2.5e-5, 75, (1440, 1440), 'data', []),
        SSP_UAVID: (5e-5, 200, (736, 736), 'data_1280x736', [-1]),
        SSP_RURAL: (5e-5, 75, (736, 736), 'data_1280x736', [-1]),
    }
    for path, (lr, epochs, size, folder, refs) in expected.items():
        cfg = load_cfg(path)
        optimizer = cfg.optim_wrapper.optimizer
        assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
            ('AdamW', lr, 0.05), path
        assert cfg.train_cfg.max_epochs == epochs
        assert cfg.train_dataloader.batch_size == 4
        assert cfg.train_dataloader.drop_last is True
        assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
        assert tuple(cfg.model.data_preprocessor.size) == size
        assert cfg.train_dataloader.dataset.ref_offsets == refs
        for loader in ('train_dataloader', 'test_dataloader'):
            assert cfg[loader].dataset.data_prefix.img_path == folder
        assert cfg.default_hooks.checkpoint.by_epoch is True
        (miou, tc) = cfg.test_evaluator
        assert miou.type == 'VideoIoUMetric' and tc.protocol == 'ssp'
        assert (tc.flow.type, tc.flow.variant, tc.flow.num_flow_updates,
                tc.flow.input_mode) == ('RAFTFlow', 'large', 20,
                                        'repo_normalized')
        assert tc.flow.checkpoint == 'checkpoints/raft_large_things.pth'
    ssp = load_cfg(SSP_UAVID).model
    assert ssp.sim_head == dict(type='ConvSimilarityHead', in_channels=96)
    assert ssp.registration.type == 'DiskLightGlueRegistration'
    assert ssp.registration.num_keypoints == 2048
    assert ssp.flow == load_cfg(SSP_UAVID).test_evaluator[1].flow
    assert ssp.loss_tc.loss_weight == 0.5
    assert ssp.image_model.init_cfg.prefix == 'image_model.'
    assert ssp.image_model.init_cfg.checkpoint.endswith('/epoch_200.pth')
    assert ssp.image_model.backbone.init_cfg is None
    image = load_cfg(IMAGE_UAVID).model.image_model
    assert image.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/sam2_hiera-s.pth',
        prefix='backbone.')


# --------------------------------------------------------------------- #
def _repo_factor(step, warmup, total, start=1e-4, final=1e-4):
    """FraunhoferIVI/SSP utils/schedulers.py, per iteration."""
    if step < warmup:
        return start + step / warmup * (1 - start)
    return max(final, final + (1 - final) * 0.5 *
               (1 + math.cos(math.pi * (step - warmup) / (total - warmup))))


@pytest.mark.parametrize('name,num_epochs,stop,final', [
    ('schedule_adamw-cos_250e-stop200e.py', 250, 200, 0.097),
    ('schedule_adamw-cos_100e-stop75e.py', 100, 75, 0.152),
])
@pytest.mark.parametrize('iters_per_epoch', [3, 7])
def test_schedule_matches_repo(name, num_epochs, stop, final,
                               iters_per_epoch):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'schedules', name))
    assert cfg.train_cfg == dict(
        type='EpochBasedTrainLoop', max_epochs=stop,
        val_interval=cfg.train_cfg.val_interval)
    lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))],
                                  lr=lr)
    wrapper = OptimWrapper(optimizer)
    schedulers = [
        PARAM_SCHEDULERS.build(
            copy.deepcopy(s),
            default_args=dict(optimizer=wrapper,
                              epoch_length=iters_per_epoch))
        for s in cfg.param_scheduler
    ]
    warmup, total = 2 * iters_per_epoch, num_epochs * iters_per_epoch
    factors = []
    for _ in range(stop * iters_per_epoch):
        factors.append(optimizer.param_groups[0]['lr'] / lr)
        wrapper.step()  # no gradient: only the step counter moves
        for scheduler in schedulers:
            scheduler.step()
    after_stop = optimizer.param_groups[0]['lr'] / lr
    assert round(after_stop, 3) == final
    assert after_stop == pytest.approx(
        _repo_factor(stop * iters_per_epoch, warmup, total), abs=1e-9)
    # warm-up from 1e-4 to 1 (mmengine reaches 1 one iteration earlier)
    assert factors[0] == pytest.approx(1e-4)
    assert factors[warmup - 1] == pytest.approx(1.0)
    assert factors[:warmup] == sorted(factors[:warmup])
    # the cosine part is the repository's, iteration by iteration
    for step in range(warmup, len(factors)):
        assert factors[step] == pytest.approx(
            _repo_factor(step, warmup, total), abs=1e-9)
