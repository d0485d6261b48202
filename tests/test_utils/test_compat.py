# Copyright (c) mmvseg contributors. All rights reserved.
"""The fixes of ``mmvseg.utils.compat``: each one is needed (the check fails
with mmengine's original object), works, and changes nothing else.

mmengine's originals are reached with ``inspect.unwrap`` (patched functions)
or ``mmengine.runner.checkpoint.load_from_local``; ``monkeypatch`` puts the
fixed objects back after each test.
"""
import inspect
import json
import pickle
import socket
import subprocess
import sys
from types import SimpleNamespace

import mmengine.device.utils as device_utils
import mmengine.dist.utils as dist_utils
import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import init_dist
from mmengine.logging import HistoryBuffer, MMLogger
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import Runner
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmvseg.utils import compat

CPU_ONLY = pytest.mark.skipif(
    device_utils.get_device() != 'cpu',
    reason='allow_cpu_distributed applies only where mmengine picks the CPU')


def _runner_like_checkpoint(path: str) -> None:
    """A checkpoint shaped like the Runner's: ``message_hub`` pickles
    ``HistoryBuffer`` objects holding numpy arrays."""
    torch.save(
        dict(
            state_dict=dict(weight=torch.ones(2)),
            message_hub=dict(
                log_scalars=dict(loss=HistoryBuffer(
                    np.array([1.0, 2.0]), np.array([1, 1]))))),
        path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def torchrun_env(monkeypatch):
    """The environment ``torchrun`` gives one rank of a world of size 1,
    with the rendezvous on a free loopback port."""
    for key, value in dict(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(
            _free_port()), RANK='0', WORLD_SIZE='1', LOCAL_RANK='0').items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def gloo_group(torchrun_env):
    """A gloo process group of one process, destroyed after the test."""
    torch_dist.init_process_group(backend='gloo')
    yield
    torch_dist.destroy_process_group()


def _syncbn_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))


def _is_plain_bn(module: nn.Module) -> bool:
    """BN after ``revert_sync_batchnorm`` (mmengine's ``_BatchNormXd``)."""
    return isinstance(module, _BatchNorm) and not isinstance(
        module, nn.SyncBatchNorm)


def _runner(distributed: bool, **cfg) -> SimpleNamespace:
    """What ``Runner.wrap_model`` reads from the runner."""
    return SimpleNamespace(
        distributed=distributed,
        cfg=Config(cfg),
        logger=MMLogger.get_instance('test_compat'))


# --- import mmvseg as a whole ------------------------------------------------

_SNAPSHOT_SCRIPT = r'''
import importlib, inspect, json, os, sys, warnings
warnings.simplefilter('ignore')
for name in ('torch', 'torchvision', 'timm', 'kornia', 'mmcv.ops',
             'mmengine.runner', 'mmengine.dist', 'mmengine.model',
             'mmseg.models', 'mmseg.datasets', 'mmseg.evaluation',
             'mmseg.engine', 'mmseg.structures'):
    importlib.import_module(name)
from mmengine.registry import Registry
from mmengine.runner.checkpoint import CheckpointLoader
ROOTS = ('torch', 'torchvision', 'timm', 'kornia', 'mmcv', 'mmengine', 'mmseg')

def attributes():
    """id of every module attribute and class attribute (classes defined in
    the module), for the modules of ROOTS loaded so far."""
    ids = {}
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod_name.split('.')[0] not in ROOTS:
            continue
        for key, value in list(vars(mod).items()):
            if key.startswith('__') or inspect.ismodule(value):
                continue
            ids[f'{mod_name}:{key}'] = id(value)
            if inspect.isclass(value) and value.__module__ == mod_name:
                for attr, member in list(vars(value).items()):
                    if not attr.startswith('__'):
                        ids[f'{mod_name}:{key}.{attr}'] = id(member)
    return ids

def registries():
    entries = {}
    for mod_name in ('mmengine.registry', 'mmseg.registry'):
        for key, reg in vars(sys.modules[mod_name]).items():
            if isinstance(reg, Registry):
                for name, obj in reg.module_dict.items():
                    entries[f'{mod_name}.{key}:{name}'] = id(obj)
    return entries

attrs, regs = attributes(), registries()
schemes = {k: id(v) for k, v in CheckpointLoader._schemes.items()}
environ = dict(os.environ)
from mmengine.config.utils import MODULE2PACKAGE
module2package = dict(MODULE2PACKAGE)
import mmvseg
attrs_after, regs_after = attributes(), registries()
print(json.dumps(dict(
    module2package_added={k: v for k, v in MODULE2PACKAGE.items()
                          if module2package.get(k) != v},
    module2package_kept=all(MODULE2PACKAGE.get(k) == v
                            for k, v in module2package.items()),
    changed=sorted(k for k in attrs if attrs_after.get(k, -1) != attrs[k]),
    schemes_changed=sorted(
        k for k in set(schemes) | set(CheckpointLoader._schemes)
        if id(CheckpointLoader._schemes.get(k)) != schemes.get(k)),
    registry_replaced=sorted(k for k in regs if regs_after[k] != regs[k]),
    registry_added=len(set(regs_after) - set(regs)),
    environ_changed=environ != dict(os.environ),
    applied=sorted(mmvseg.utils.compat.applied()))))
'''


def test_import_mmvseg_changes_only_the_documented_objects():
    """In a fresh interpreter, ``import mmvseg`` replaces exactly the objects
    that the fixes name, adds registry entries without replacing any, adds
    the ``mmvseg::`` config scope, and leaves ``os.environ`` alone."""
    result = subprocess.run([sys.executable, '-c', _SNAPSHOT_SCRIPT],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    expected = ['mmengine.runner.checkpoint:CheckpointLoader._schemes']
    applied = ['trust_local_checkpoints']
    if device_utils.get_device() == 'cpu':
        expected += ['mmengine.dist.utils:_init_dist_pytorch',
                     'mmengine.runner.runner:Runner.wrap_model']
        applied.append('allow_cpu_distributed')
    assert report['changed'] == sorted(expected)
    assert report['schemes_changed'] == ['']
    assert report['registry_replaced'] == []
    assert report['registry_added'] > 0
    # the mmvseg:: config scope: one entry added to mmengine's module ->
    # package map, none changed
    assert report['module2package_added'] == {'mmvseg': 'mmvseg'}
    assert report['module2package_kept']
    assert not report['environ_changed']
    assert report['applied'] == sorted(applied)


def test_fixes_are_idempotent():
    before = (CheckpointLoader._schemes[''], dist_utils._init_dist_pytorch,
              Runner.wrap_model)
    compat.apply_all()
    compat.apply_all()
    assert CheckpointLoader._schemes[''] is compat.load_from_local_trusted
    assert (CheckpointLoader._schemes[''], dist_utils._init_dist_pytorch,
            Runner.wrap_model) == before


# --- trust_local_checkpoints -------------------------------------------------


def test_runner_checkpoint_fails_without_the_fix(tmp_path, monkeypatch):
    path = str(tmp_path / 'iter_4.pth')
    _runner_like_checkpoint(path)
    monkeypatch.setitem(CheckpointLoader._schemes, '',
                        mmengine_checkpoint.load_from_local)
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')


def test_runner_checkpoint_loads_with_the_fix(tmp_path):
    path = str(tmp_path / 'iter_4.pth')
    _runner_like_checkpoint(path)
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 2.0
    assert torch.equal(ckpt['state_dict']['weight'], torch.ones(2))


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(missing)


def test_user_directory_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    torch.save(dict(weight=torch.zeros(1)), str(tmp_path / 'w.pth'))
    ckpt = CheckpointLoader.load_checkpoint('~/w.pth', map_location='cpu')
    assert torch.equal(ckpt['weight'], torch.zeros(1))


@pytest.mark.parametrize('path, loader', [
    ('http://host/w.pth', 'load_from_http'),
    ('https://host/w.pth', 'load_from_http'),
    ('open-mmlab://resnet50_v1c', 'load_from_openmmlab'),
    ('openmmlab://resnet50_v1c', 'load_from_openmmlab'),
    ('torchvision://resnet50', 'load_from_torchvision'),
    ('modelzoo://resnet50', 'load_from_torchvision'),
    ('mmcls://resnet50', 'load_from_mmcls'),
    ('pavi://model/w.pth', 'load_from_pavi'),
    ('s3://bucket/w.pth', 'load_from_ceph'),
    ('open-mmlab:s3://bucket/w.pth', 'load_from_ceph'),
])
def test_other_schemes_keep_mmengine_loaders(path, loader):
    assert CheckpointLoader._get_checkpoint_loader(path) is getattr(
        mmengine_checkpoint, loader)


# --- allow_cpu_distributed: the launcher -------------------------------------


@CPU_ONLY
def test_pytorch_launcher_fails_without_the_fix(torchrun_env, monkeypatch):
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch',
                        inspect.unwrap(dist_utils._init_dist_pytorch))
    with pytest.raises(RuntimeError):  # torch.cuda.set_device(0)
        init_dist('pytorch', backend='nccl')
    assert not torch_dist.is_initialized()


@CPU_ONLY
def test_pytorch_launcher_uses_gloo_without_cuda(torchrun_env):
    init_dist('pytorch', backend='nccl')  # the default of mmseg configs
    try:
        assert torch_dist.get_backend() == 'gloo'
        assert torch_dist.get_world_size() == 1
        total = torch.ones(3)
        torch_dist.all_reduce(total)
        assert torch.equal(total, torch.ones(3))
    finally:
        torch_dist.destroy_process_group()


@CPU_ONLY
@pytest.mark.parametrize('backend, expected', [('nccl', 'gloo'),
                                               ('gloo', 'gloo'),
                                               ('mpi', 'mpi')])
def test_launcher_maps_only_nccl(backend, expected, monkeypatch):
    calls = []
    monkeypatch.setattr(torch_dist, 'init_process_group',
                        lambda **kwargs: calls.append(kwargs))
    dist_utils._init_dist_pytorch(backend, timeout=5)
    assert calls == [dict(backend=expected, timeout=5)]


@CPU_ONLY
def test_launcher_other_init_backends_reach_mmengine(torchrun_env,
                                                     monkeypatch):
    devices = []
    monkeypatch.setattr(torch.cuda, 'set_device', devices.append)
    with pytest.raises(ValueError, match='supported "init_backend"'):
        dist_utils._init_dist_pytorch('nccl', init_backend='unknown')
    assert devices == [0]  # mmengine's own code path ran


# --- allow_cpu_distributed: the model wrapper --------------------------------


class _RecordingWrapper(nn.Module):
    """A model wrapper that is not a DistributedDataParallel."""

    def __init__(self, module: nn.Module, **kwargs) -> None:
        super().__init__()
        self.module = module
        self.kwargs = kwargs


@CPU_ONLY
@pytest.mark.parametrize('wrapper_cfg, message', [
    (None, 'device_ids'),
    (dict(type='MMDistributedDataParallel', device_ids=None), 'SyncBatchNorm'),
])
def test_wrap_model_fails_without_the_fix(gloo_group, wrapper_cfg, message):
    original = inspect.unwrap(Runner.wrap_model)
    with pytest.raises(ValueError, match=message):
        original(_runner(distributed=True), wrapper_cfg, _syncbn_model())


@CPU_ONLY
def test_wrap_model_builds_cpu_ddp_without_syncbn(gloo_group):
    wrapped = Runner.wrap_model(
        _runner(distributed=True, find_unused_parameters=True), None,
        _syncbn_model())
    assert isinstance(wrapped, MMDistributedDataParallel)
    assert wrapped.device_ids is None
    assert wrapped.find_unused_parameters
    assert not any(
        isinstance(m, nn.SyncBatchNorm) for m in wrapped.modules())
    assert _is_plain_bn(wrapped.module[1])
    wrapped(torch.rand(2, 3, 4, 4)).sum().backward()
    assert wrapped.module[0].weight.grad is not None


@CPU_ONLY
def test_wrap_model_keeps_a_given_ddp_config(gloo_group):
    wrapper_cfg = dict(type='MMDistributedDataParallel',
                       find_unused_parameters=True)
    wrapped = Runner.wrap_model(_runner(distributed=True), wrapper_cfg,
                                _syncbn_model())
    assert wrapped.device_ids is None
    assert wrapped.find_unused_parameters
    assert wrapper_cfg == dict(type='MMDistributedDataParallel',
                               find_unused_parameters=True)


@CPU_ONLY
def test_wrap_model_adds_no_device_ids_to_other_wrappers(
        gloo_group, monkeypatch):
    monkeypatch.setitem(MODEL_WRAPPERS._module_dict, '_RecordingWrapper',
                        _RecordingWrapper)
    wrapped = Runner.wrap_model(_runner(distributed=True),
                                dict(type='_RecordingWrapper', flag=1),
                                _syncbn_model())
    assert wrapped.kwargs == dict(flag=1)
    assert _is_plain_bn(wrapped.module[1])


@CPU_ONLY
def test_wrap_model_delegates_when_not_distributed():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    assert Runner.wrap_model(_runner(distributed=False), None, model) is model


@CPU_ONLY
def test_wrap_model_delegates_for_wrapped_models(gloo_group):
    """mmengine returns a wrapped model as it is when no wrapper config is
    given (the fix would otherwise build one and make mmengine refuse)."""
    inner = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    wrapped = MMDistributedDataParallel(inner, device_ids=None)
    runner = _runner(distributed=True)
    assert Runner.wrap_model(runner, None, wrapped) is wrapped
    assert wrapped.module is inner
    with pytest.raises(TypeError, match='has been wrapped'):
        Runner.wrap_model(runner, dict(type='MMDistributedDataParallel'),
                          wrapped)


# --- allow_cpu_distributed: only on CPU hosts --------------------------------


@pytest.mark.parametrize('device, patched', [('cuda', False), ('npu', False),
                                             ('mps', False), ('cpu', True)])
def test_cpu_distributed_applies_only_on_cpu_hosts(device, patched,
                                                   monkeypatch):
    """Re-applies the fix to mmengine's originals with ``get_device()``
    simulated; ``monkeypatch`` restores the objects of this process."""
    original_init = inspect.unwrap(dist_utils._init_dist_pytorch)
    original_wrap = inspect.unwrap(Runner.wrap_model)
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', original_init)
    monkeypatch.setattr(Runner, 'wrap_model', original_wrap)
    monkeypatch.setattr(compat, '_APPLIED', set())
    monkeypatch.setattr(device_utils, 'DEVICE', device)
    compat.allow_cpu_distributed()
    assert (dist_utils._init_dist_pytorch is not original_init) == patched
    assert (Runner.wrap_model is not original_wrap) == patched
    assert inspect.unwrap(dist_utils._init_dist_pytorch) is original_init
    assert inspect.unwrap(Runner.wrap_model) is original_wrap
    assert ('allow_cpu_distributed' in compat.applied()) == patched
