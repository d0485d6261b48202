# Copyright (c) mmvseg contributors. All rights reserved.
"""Fixes that make mmengine 0.10.7 work with torch >= 2.6 and on CPU-only hosts.

Both functions are idempotent and never edit site-packages; ``import mmvseg``
calls them. See ``shared/specs/environment.md`` §5 for the symptoms and causes:

* :func:`trust_local_checkpoints` (§5.1): torch 2.6 made ``torch.load`` default
  to ``weights_only=True``, which cannot unpickle the ``message_hub`` that
  mmengine's Runner stores in its checkpoints (open-mmlab/mmengine#1655). Local
  checkpoint files are loaded with ``weights_only=False``, as mmengine did
  before torch 2.6.
* :func:`allow_cpu_distributed` (§5.2, §5.3): on hosts without CUDA,
  ``--launcher pytorch`` initialises a gloo process group (no
  ``torch.cuda.set_device``), and the Runner wraps the model in
  ``MMDistributedDataParallel`` without ``device_ids`` and with SyncBN reverted
  to BN. BN statistics are then per process (gradients are still all-reduced):
  good for CPU smoke tests, not for real training.
"""
import os.path as osp
from typing import Optional

import torch

_APPLIED = set()


def load_from_local_trusted(filename: str, map_location=None):
    """Load a local checkpoint file with ``weights_only=False``.

    Raises:
        FileNotFoundError: when ``filename`` is not a file.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def trust_local_checkpoints() -> None:
    """Register :func:`load_from_local_trusted` for mmengine's empty scheme prefix."""
    if 'trust_local_checkpoints' in _APPLIED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_trusted, force=True)
    _APPLIED.add('trust_local_checkpoints')


def allow_cpu_distributed() -> None:
    """Patch mmengine's torch launcher and model wrapping on CUDA-less hosts.

    Does nothing when ``torch.cuda.is_available()``.
    """
    if 'allow_cpu_distributed' in _APPLIED or torch.cuda.is_available():
        return
    import mmengine.dist.utils as dist_utils
    from mmengine.runner import Runner

    original_init = dist_utils._init_dist_pytorch

    def _init_dist_pytorch_cpu(backend: str,
                               init_backend: str = 'torch',
                               **kwargs) -> None:
        if init_backend != 'torch':
            return original_init(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu

    original_wrap = Runner.wrap_model

    def wrap_model(self, model_wrapper_cfg: Optional[dict], model):
        if self.distributed:
            from mmengine.model import revert_sync_batchnorm
            model = revert_sync_batchnorm(model)
            if model_wrapper_cfg is None:
                model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel',
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get(
                        'find_unused_parameters', False))
            model_wrapper_cfg = dict(model_wrapper_cfg)
            model_wrapper_cfg.setdefault('device_ids', None)
        return original_wrap(self, model_wrapper_cfg, model)

    Runner.wrap_model = wrap_model
    _APPLIED.add('allow_cpu_distributed')


def apply_all() -> None:
    """Apply every fix of this module (idempotent)."""
    trust_local_checkpoints()
    allow_cpu_distributed()
