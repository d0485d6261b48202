# Copyright (c) mmvseg contributors. All rights reserved.
import pickle
import socket

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from mmvseg.utils import compat


def _runner_like_checkpoint(path):
    torch.save(
        dict(
            state_dict=dict(weight=torch.ones(2)),
            message_hub=dict(
                log_scalars=dict(loss=HistoryBuffer(
                    np.array([1.0, 2.0]), np.array([1, 1]))))),
        path)


def test_runner_checkpoint_loads_with_the_fix(tmp_path):
    path = str(tmp_path / 'iter_4.pth')
    _runner_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)  # torch >= 2.6: weights_only=True by default
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 2.0
    assert torch.equal(ckpt['state_dict']['weight'], torch.ones(2))


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(missing)


def test_fixes_are_idempotent():
    compat.apply_all()
    compat.apply_all()
    loader = CheckpointLoader._schemes['']
    assert loader is compat.load_from_local_trusted


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_pytorch_launcher_uses_gloo_without_cuda(monkeypatch):
    from mmengine.dist import init_dist
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                           RANK='0', WORLD_SIZE='1', LOCAL_RANK='0').items():
        monkeypatch.setenv(key, value)
    init_dist('pytorch', backend='nccl')  # would call torch.cuda.set_device
    try:
        assert torch_dist.get_backend() == 'gloo'
    finally:
        torch_dist.destroy_process_group()
