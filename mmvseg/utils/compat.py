# Copyright (c) mmvseg contributors. All rights reserved.
"""Fixes that make mmengine 0.10.7 work with torch >= 2.6 and on CPU hosts.

``import mmvseg`` calls :func:`apply_all`. Each fix is idempotent, replaces
one mmengine object in memory (site-packages is never edited), and delegates
to the replaced object for every case it does not cover:

========================  =================================================
fix                       replaced object
========================  =================================================
trust_local_checkpoints   ``CheckpointLoader._schemes['']`` (local files)
allow_cpu_distributed     ``mmengine.dist.utils._init_dist_pytorch`` and
                          ``Runner.wrap_model``, only where mmengine's
                          ``get_device()`` is ``'cpu'``
========================  =================================================

Nothing else in mmengine, mmcv, mmseg or torch is modified by
``import mmvseg`` besides the registration of mmvseg's modules into mmseg's
registries. :func:`applied` tells which fixes are active; the functions
replaced by :func:`allow_cpu_distributed` keep mmengine's originals in
``__wrapped__`` (``inspect.unwrap`` returns them).
"""
import os.path as osp
from typing import Any, Callable, FrozenSet, Optional, Set, Union

import torch
from torch import nn

_APPLIED: Set[str] = set()


def applied() -> FrozenSet[str]:
    """Names of the fixes active in this process.

    Example:
        >>> import mmvseg
        >>> 'trust_local_checkpoints' in applied()
        True
    """
    return frozenset(_APPLIED)


def load_from_local_trusted(
        filename: str,
        map_location: Union[str, torch.device, Callable, None] = None) -> Any:
    """mmengine's local checkpoint loader with ``weights_only=False``.

    Same as ``load_from_local`` in ``mmengine/runner/checkpoint.py``
    (mmengine v0.10.7): ``~`` is expanded and a missing file raises
    ``FileNotFoundError`` naming it; only the ``torch.load`` call differs.

    Raises:
        FileNotFoundError: when ``filename`` is not a file.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def trust_local_checkpoints() -> None:
    """Load local checkpoint files written by mmengine under torch >= 2.6.

    What breaks without it: torch 2.6 changed the default of ``torch.load``
    to ``weights_only=True`` (pytorch/pytorch release notes of v2.6.0), and
    mmengine 0.10.7, its last release, calls ``torch.load(filename,
    map_location=...)`` without the argument. A checkpoint written by
    mmengine's Runner holds ``message_hub`` (``HistoryBuffer`` objects with
    numpy arrays) beside ``state_dict``, so ``--resume``, ``load_from``,
    ``tools/test.py CONFIG CKPT`` and ``mmseg.apis.init_model(cfg, ckpt)``
    fail with ``_pickle.UnpicklingError: Weights only load failed ...
    Unsupported global: GLOBAL mmengine.logging.history_buffer.HistoryBuffer``.
    Reported as open-mmlab/mmengine#1655 (mmengine 0.10.7, mmseg 1.2.2,
    torch 2.7); open-mmlab/mmengine#1650 proposes the same change upstream.

    What it changes: the loader registered for the empty scheme prefix
    (local paths; mmengine tries the other prefixes such as ``http://``,
    ``open-mmlab://`` or ``s3://`` first and leaves them untouched) becomes
    :func:`load_from_local_trusted`, so local files are trusted as they were
    before torch 2.6. Allow-listing the pickled globals instead would need
    the builtin ``getattr`` among them, which defeats ``weights_only``.
    Only load checkpoint files you trust.
    """
    if 'trust_local_checkpoints' in _APPLIED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_trusted, force=True)
    _APPLIED.add('trust_local_checkpoints')


def allow_cpu_distributed() -> None:
    """Let ``--launcher pytorch`` train on hosts without an accelerator.

    Applied only when mmengine's ``get_device()`` is ``'cpu'`` (no CUDA, NPU,
    MLU, MPS, DIPU or MUSA device); on other hosts it does nothing.

    What breaks without it, with mmengine 0.10.7 and any torch:

    1. ``_init_dist_pytorch`` (``mmengine/dist/utils.py``) calls
       ``torch.cuda.set_device(local_rank)`` before ``init_process_group``,
       so ``tools/dist_train.sh`` / ``torchrun ... --launcher pytorch`` dies
       in every rank with ``RuntimeError: Found no NVIDIA driver on your
       system``, whatever ``env_cfg.dist_cfg.backend`` says.
    2. ``Runner.wrap_model`` (``mmengine/runner/runner.py``) passes
       ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``, which
       rejects it for a CPU module (``ValueError: DistributedDataParallel
       device_ids and output_device arguments only work with
       single-device/multiple-device GPU modules or CPU modules``); with
       ``device_ids=None`` the ``SyncBN`` layers of mmseg configs fail next
       (``ValueError: SyncBatchNorm layers only work with GPU modules``,
       ``torch/nn/parallel/distributed.py``).

    What it changes:

    1. ``_init_dist_pytorch`` with ``init_backend='torch'`` skips
       ``set_device`` and calls ``torch.distributed.init_process_group``
       with ``nccl`` replaced by ``gloo`` (other backends and keyword
       arguments are passed unchanged); other ``init_backend`` values go to
       mmengine's function.
    2. ``Runner.wrap_model`` of a distributed runner reverts SyncBN to BN
       (``mmengine.model.revert_sync_batchnorm``), uses
       ``MMDistributedDataParallel(broadcast_buffers=False,
       find_unused_parameters=cfg.find_unused_parameters)`` when no
       ``model_wrapper_cfg`` is given, and sets ``device_ids=None`` for
       ``DistributedDataParallel`` subclasses unless the wrapper config sets
       it; then mmengine's ``wrap_model`` runs. Non-distributed runners and
       models that are already wrapped go to mmengine's method unchanged.

    Consequence: BN statistics are per process (gradients are still
    all-reduced), which suits CPU smoke tests, not real training. A
    ``sync_bn`` key in the config converts BN back to SyncBN after the
    revert and still fails on CPU.
    """
    if 'allow_cpu_distributed' in _APPLIED:
        return
    from mmengine.device import get_device
    if get_device() != 'cpu':
        return
    import mmengine.dist.utils as dist_utils
    from mmengine.model import is_model_wrapper, revert_sync_batchnorm
    from mmengine.registry import MODEL_WRAPPERS
    from mmengine.runner import Runner
    from torch.nn.parallel import DistributedDataParallel

    original_init = dist_utils._init_dist_pytorch

    def _init_dist_pytorch_cpu(backend: str,
                               init_backend: str = 'torch',
                               **kwargs) -> None:
        """mmengine's ``_init_dist_pytorch`` without CUDA (gloo for nccl)."""
        if init_backend != 'torch':
            return original_init(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch_cpu.__wrapped__ = original_init
    # ``init_dist`` looks the function up in its module at each call.
    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu

    original_wrap = Runner.wrap_model

    def wrap_model(self: Runner, model_wrapper_cfg: Optional[dict],
                   model: nn.Module) -> nn.Module:
        """``Runner.wrap_model`` with CPU-ready DDP and SyncBN reverted."""
        if not self.distributed or is_model_wrapper(model):
            return original_wrap(self, model_wrapper_cfg, model)
        model = revert_sync_batchnorm(model)
        if model_wrapper_cfg is None:
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
        model_wrapper_cfg = dict(model_wrapper_cfg)
        wrapper_type = MODEL_WRAPPERS.get(
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel'))
        if issubclass(wrapper_type, DistributedDataParallel):
            model_wrapper_cfg.setdefault('device_ids', None)
        return original_wrap(self, model_wrapper_cfg, model)

    wrap_model.__wrapped__ = original_wrap
    Runner.wrap_model = wrap_model
    _APPLIED.add('allow_cpu_distributed')


def apply_all() -> None:
    """Apply every fix of this module (idempotent)."""
    trust_local_checkpoints()
    allow_cpu_distributed()
