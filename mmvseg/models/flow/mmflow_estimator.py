# Copyright (c) mmvseg contributors. All rights reserved.
"""Any mmflow 1.x model as an mmvseg flow estimator.

mmflow (open-mmlab/mmflow, 1.x branch; the ``mmflow==1.0.0rc0`` package) keeps
its flow networks -- RAFT, GMA, PWC-Net, FlowNet/FlowNet2, LiteFlowNet(2),
IRR-PWC, MaskFlowNet -- as mmengine configs (shipped in the package under
``mmflow/.mim/configs``) plus checkpoints from its model zoo (the ``Weights``
links of each ``configs/<model>/metafile.yml``). :class:`MMFlowEstimator`
builds such a model and runs it the way mmflow's own test pipeline does
(``mmflow/apis/inference.py``: ``LoadImageFromFile`` -> ``InputPad`` or
``InputResize`` -> ``PackFlowInputs`` -> ``FlowDataPreprocessor`` ->
``model.predict``), behind the interface of
:class:`~mmvseg.models.flow.BaseFlowEstimator`.

mmflow is imported only when an estimator is built, so ``import mmvseg`` works
without it.
"""
import copy
import logging
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn

from mmvseg.registry import MODELS
from .estimators import BaseFlowEstimator

#: ``size_mode`` values (see :class:`MMFlowEstimator`).
SIZE_MODES = ('pad', 'resize', 'none')

#: mmcv ops (``mmcv.ops`` class names) with CUDA kernels only: on CPU,
#: mmcv 2.0.1's ``Correlation`` fails with "correlation_forward_impl:
#: implementation for device cpu not found" (``mmcv/ops/correlation.py``).
CUDA_ONLY_OPS = ('Correlation', )


def _import_mmflow():
    """Import mmflow and register its modules (without touching the default
    scope)."""
    try:
        import mmflow  # noqa: F401
        from mmflow.utils import register_all_modules
    except ImportError as err:
        raise ImportError(
            'MMFlowEstimator needs mmflow 1.x (`pip install --no-deps '
            'mmflow==1.0.0rc0`, with mmcv 2.0.x; see docs/en/get_started.md):'
            f' {err}') from err
    except AssertionError as err:  # mmflow asserts its mmcv range
        raise ImportError(
            f'mmflow cannot be imported with this mmcv: {err}') from err
    register_all_modules(init_default_scope=False)


def load_mmflow_config(config: Union[str, dict, Config]) -> Config:
    """Read an mmflow config.

    Args:
        config: a config file path, ``'mmflow::<model>/<name>.py'`` (a config
            shipped inside the mmflow package, resolved by
            ``mmengine.hub.get_config``), a :class:`~mmengine.config.Config`
            or a dict of a whole config (with a ``model`` key).

    Returns:
        Config: the config (a copy when ``config`` is a ``Config`` or dict,
        so that later edits do not reach the caller's object).

    Raises:
        FileNotFoundError: the file (or the packaged config) does not exist.
        TypeError: ``config`` is of another type.
    """
    if isinstance(config, Config):
        return copy.deepcopy(config)
    if isinstance(config, dict):
        return Config(copy.deepcopy(config))
    if not isinstance(config, str):
        raise TypeError('config must be a path, an "mmflow::..." name, a '
                        f'Config or a dict, got {type(config).__name__}')
    if '::' in config:
        _import_mmflow()  # installed, so get_config never calls pip
        from mmengine.hub import get_config
        try:
            return get_config(config)
        except (FileNotFoundError, ValueError) as err:
            raise FileNotFoundError(
                f'{config}: no such config in the installed package '
                f'({err})') from err
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: mmflow config not found')
    return Config.fromfile(config)


def _held_modules(model: nn.Module) -> List[nn.Module]:
    """Every module of ``model``, including those kept in plain list, tuple or
    dict attributes, which ``nn.Module.modules()`` does not see (mmflow's
    ``CorrBlock`` keeps its mmcv ``Correlation`` op in a list,
    ``mmflow/models/utils/correlation_block.py``)."""
    found = []
    for module in model.modules():
        found.append(module)
        for value in vars(module).values():
            items = value.values() if isinstance(value, dict) else value \
                if isinstance(value, (list, tuple)) else ()
            found.extend(item for item in items
                         if isinstance(item, nn.Module))
    return found


def _first(value):
    return value[0] if isinstance(value, (list, tuple)) and value else value


def _test_pipeline(cfg: Config) -> List[dict]:
    """The test pipeline of an mmflow config, or [].

    The first ``test_dataloader``'s dataset (mmflow 1.x configs), else
    ``data.test`` (the mmflow 0.x layout that some ``*_kitti-test.py``
    configs of mmflow 1.0.0rc0 still use).
    """
    loader = _first(cfg.get('test_dataloader'))
    dataset = loader.get('dataset') if isinstance(loader, dict) else None
    if not isinstance(dataset, dict):
        data = cfg.get('data')
        dataset = _first(data.get('test')) if isinstance(data, dict) \
            else None
    while isinstance(dataset, dict) and 'pipeline' not in dataset and \
            'datasets' in dataset:  # ConcatDataset and the like
        dataset = _first(dataset['datasets'])
    pipeline = dataset.get('pipeline') if isinstance(dataset, dict) \
        else None
    return list(pipeline or [])


def size_policy(cfg: Config) -> Tuple[str, int]:
    """How mmflow's test pipeline of ``cfg`` fits frames to the model.

    ``InputPad(exponent=n)`` -> ``('pad', 2**n)``; ``InputResize(exponent=n)``
    -> ``('resize', 2**n)`` (``mmflow/datasets/transforms/transforms.py``);
    neither -> ``('none', 1)``.
    """
    for step in _test_pipeline(cfg):
        kind = step.get('type')
        if kind == 'InputPad':
            return 'pad', 2**int(step['exponent'])
        if kind == 'InputResize':
            return 'resize', 2**int(step['exponent'])
    return 'none', 1


@MODELS.register_module()
class MMFlowEstimator(BaseFlowEstimator):
    """An mmflow 1.x flow model (RAFT, GMA, PWC-Net, ...) as a flow estimator.

    ``estimator(frames_t, frames_s)`` returns ``f_{t->s}``: mmflow's
    ``img1`` is frame t and ``img2`` frame s, and its ``pred_flow_fw`` is the
    flow from img1 to img2 on img1's grid. The frames go through the steps of
    mmflow's test pipeline (``mmflow/apis/inference.py``,
    ``inference_model``):

    1. RGB -> **BGR**: mmflow reads images with ``mmcv.imfrombytes``
       (``mmflow/datasets/transforms/loading.py``, ``LoadImageFromFile``), so
       its model-zoo models take BGR, and a config's
       ``data_preprocessor.bgr_to_rgb`` says whether the model wants RGB.
    2. Size: ``'pad'`` pads H and W up to a multiple of ``divisor`` by
       repeating the edge pixels, centred (``InputPad``: ``np.pad(...,
       mode='edge')``, ``pad_h // 2`` rows on top); ``'resize'`` resizes
       bilinearly to the next multiples (``InputResize``; done on the float
       frames with ``F.interpolate(align_corners=False)``, without the uint8
       rounding of ``mmcv.imresize``); ``'none'`` requires multiples.
    3. The model's own ``FlowDataPreprocessor`` (``mmflow/models/
       data_preprocessor.py``): channel conversion, ``(x - mean) / std``.
    4. ``model.predict`` with the ``pad`` / ``scale_factor`` meta-information,
       so that mmflow itself crops the padding off or resizes the flow back
       and rescales it (``mmflow/models/decoders/base_decoder.py``,
       ``postprocess_result``). Pairs are predicted one at a time, because
       ``postprocess_result`` of mmflow 1.0.0rc0 returns inside its loop over
       the batch (only the first sample of a batch gets its flow).

    Test iterations (RAFT, GMA): ``iters`` sets ``model.test_cfg.iters``
    (what mmflow's ``RAFT.predict`` uses instead of ``decoder.iters``); the
    returned flow is the last of ``iters`` updates, as torchvision's
    ``num_flow_updates``.

    Weights: ``checkpoint`` is a local file with mmflow's key layout (the
    model zoo's ``.pth``, or a torchvision ``raft_large`` state dict converted
    by ``tools/model_converters/raft_torchvision_mmflow.py``); it is loaded
    strictly. Nothing is downloaded.

    Frozen by default (no gradients, eval mode whatever the owner's mode);
    with ``trainable=True`` the flow network gets gradients and follows its
    owner's train/eval mode, as :class:`~mmvseg.models.flow.RAFTFlow` does.

    Args:
        config: mmflow config: a file, ``'mmflow::raft/raft_8xb2_100k_mixed-
            368x768.py'`` (a config inside the installed mmflow package, read
            with mmengine's package scope), a ``Config`` or a dict of a whole
            config.
        checkpoint: local checkpoint (``state_dict`` key or a plain state
            dict; a ``module.`` prefix is removed). None keeps random weights
            (warning).
        iters: test iterations of an iterative model (RAFT, GMA); None keeps
            the config's (``test_cfg.iters``, else ``decoder.iters``).
        cfg_options: overrides merged into the config before the model is
            built, e.g. ``{'model.data_preprocessor.bgr_to_rgb': True}`` for
            weights trained on RGB (torchvision's and the original RAFT).
        size_mode: ``'pad'``, ``'resize'`` or ``'none'``; None takes the
            config's test pipeline (``InputPad`` / ``InputResize``).
        divisor: H and W multiple for ``size_mode``; None takes ``2**exponent``
            of that transform.
        trainable: compute the flow with gradients and follow the owner's
            train/eval mode.

    Raises:
        ImportError: mmflow is not installed or rejects the mmcv version.
        FileNotFoundError: the config or checkpoint file does not exist.
        ValueError: the config has no ``model``, or its model is not an mmflow
            flow estimator; ``iters`` for a model without iterations; unknown
            ``size_mode``; the checkpoint's keys or shapes do not match the
            model (named, with a hint when they are torchvision's or the
            original RAFT's layout).
        RuntimeError: the model needs an mmcv op that has no kernel here
            (``Correlation``: CUDA only, e.g. PWC-Net, LiteFlowNet, FlowNetC,
            FlowNet2, IRR-PWC, MaskFlowNet) and no CUDA device with a CUDA
            build of mmcv is available.

    Forward raises (besides the base class' checks) ``ValueError`` for frames
    the model cannot take (``size_mode='none'`` with sizes that are not
    multiples of ``divisor``; RAFT/GMA frames whose padded size leaves fewer
    than one pixel at the coarsest correlation level) and ``RuntimeError`` for
    a CUDA-only model on CPU tensors.
    """

    def __init__(self,
                 config: Union[str, dict, Config],
                 checkpoint: Optional[str] = None,
                 iters: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 size_mode: Optional[str] = None,
                 divisor: Optional[int] = None,
                 trainable: bool = False) -> None:
        super().__init__(trainable=trainable)
        _import_mmflow()
        self.config_name = config if isinstance(config, str) else \
            getattr(config, 'filename', None) or '<config dict>'
        cfg = load_mmflow_config(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        self.model = self._build(cfg)
        self.model_name = type(self.model).__name__
        self._check_ops()

        default_mode, default_divisor = size_policy(cfg)
        if size_mode is None and default_mode == 'none':
            print_log(
                f'{self.config_name}: no InputPad/InputResize in its test '
                'pipeline: frames go to the model at their size '
                "(size_mode='none')", 'current', logging.WARNING)
        self.size_mode = size_mode or default_mode
        if self.size_mode not in SIZE_MODES:
            raise ValueError(f'size_mode must be one of {SIZE_MODES}, got '
                             f'{self.size_mode!r}')
        self.divisor = int(divisor or default_divisor)
        if self.divisor < 1:
            raise ValueError(f'divisor must be >= 1, got {divisor}')

        if iters is not None:
            if not hasattr(getattr(self.model, 'decoder', None), 'iters'):
                raise ValueError(
                    f'{self.config_name}: {self.model_name} has no test '
                    f'iterations (iters={iters} applies to RAFT and GMA)')
            if iters < 1:
                raise ValueError(f'iters must be >= 1, got {iters}')
            self.model.test_cfg = dict(self.model.test_cfg or {}, iters=iters)

        if checkpoint is None:
            print_log(
                f'MMFlowEstimator({self.config_name}) has no checkpoint: its '
                'weights are random and its flow is meaningless', 'current',
                logging.WARNING)
        else:
            self._load_checkpoint(checkpoint)
        if not trainable:
            self.model.requires_grad_(False)
            self.model.eval()

    # ------------------------------------------------------------------ build
    def _build(self, cfg: Config) -> nn.Module:
        from mmflow.models.flow_estimators.base_flow_estimator import \
            FlowEstimator
        from mmflow.registry import MODELS as MMFLOW_MODELS

        model_cfg = cfg.get('model')
        if not isinstance(model_cfg, dict) or 'type' not in model_cfg:
            raise ValueError(
                f'{self.config_name}: not an mmflow model config (no '
                '`model` dict with a `type`)')
        model_type = model_cfg['type']
        with DefaultScope.overwrite_default_scope('mmflow'):
            cls = model_type if isinstance(model_type, type) else \
                MMFLOW_MODELS.get(model_type)
            if not (isinstance(cls, type) and issubclass(cls, FlowEstimator)):
                raise ValueError(
                    f'{self.config_name}: model type {model_type!r} is not an '
                    'mmflow flow estimator (a subclass of mmflow\'s '
                    'FlowEstimator registered in mmflow.registry.MODELS, '
                    'e.g. RAFT, PWCNet, FlowNet2)')
            model_cfg = model_cfg.copy()
            model_cfg['train_cfg'] = None  # as mmflow.apis.init_model
            return MMFLOW_MODELS.build(model_cfg)

    def _check_ops(self) -> None:
        """Find mmcv ops without CPU kernels; raise if they cannot run."""
        import mmcv.ops
        ops = tuple(getattr(mmcv.ops, name) for name in CUDA_ONLY_OPS)
        self.cuda_only_ops = sorted(
            {type(op).__name__
             for op in _held_modules(self.model) if isinstance(op, ops)})
        if self.cuda_only_ops and not self._cuda_ops_available():
            raise RuntimeError(self._cuda_only_message(
                'no CUDA device with a CUDA build of mmcv is available '
                f'(torch.cuda.is_available()={torch.cuda.is_available()}, '
                'mmcv compiled with CUDA '
                f'{mmcv.ops.get_compiling_cuda_version()!r})'))

    @staticmethod
    def _cuda_ops_available() -> bool:
        import mmcv.ops
        return torch.cuda.is_available() and \
            mmcv.ops.get_compiling_cuda_version() != 'not available'

    def _cuda_only_message(self, why: str) -> str:
        return (f'{self.config_name}: {self.model_name} uses mmcv '
                f'{", ".join(self.cuda_only_ops)}, which mmcv implements for '
                f'CUDA only (no CPU kernel); it cannot run here: {why}. Use a '
                'RAFT or GMA config, RAFTFlow or DISFlow on CPU.')

    def _load_checkpoint(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: mmflow checkpoint not found')
        checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint) if isinstance(
            checkpoint, dict) else None
        if not isinstance(state, dict):
            raise ValueError(f'{path}: holds no state dict')
        state = {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()
        }
        expected = self.model.state_dict()
        missing = [
            k for k in expected
            if k not in state and not k.endswith('num_batches_tracked')
        ]
        unexpected = [k for k in state if k not in expected]
        wrong_shape = [
            f'{k} {tuple(state[k].shape)} != {tuple(v.shape)}'
            for k, v in expected.items()
            if k in state and hasattr(state[k], 'shape')
            and state[k].shape != v.shape
        ]
        if missing or unexpected or wrong_shape:
            hint = ''
            if any(k.startswith('feature_encoder.') for k in state):
                hint = (' The checkpoint has torchvision RAFT keys: convert '
                        'it with tools/model_converters/'
                        'raft_torchvision_mmflow.py.')
            elif any(k.startswith('fnet.') for k in state):
                hint = (' The checkpoint has the original RAFT keys '
                        '(princeton-vl/RAFT): convert it with tools/'
                        'model_converters/raft2torchvision.py, then '
                        'raft_torchvision_mmflow.py.')
            raise ValueError(
                f'{path}: checkpoint does not match {self.model_name} of '
                f'{self.config_name}: {len(missing)} missing keys '
                f'{missing[:5]}, {len(unexpected)} unexpected keys '
                f'{unexpected[:5]}, {len(wrong_shape)} shape mismatches '
                f'{wrong_shape[:5]}.{hint}')
        self.model.load_state_dict(state, strict=False)

    # ------------------------------------------------------------- forward
    def train(self, mode: bool = True) -> 'MMFlowEstimator':
        """Follow ``mode`` when trainable; otherwise stay in eval mode."""
        super().train(mode)
        if not self.trainable:
            self.model.eval()
        return self

    def min_size(self) -> int:
        """Smallest H and W (after padding or resizing) the model takes: RAFT
        and GMA need at least one pixel at the coarsest correlation level,
        i.e. ``8 * 2**(num_levels - 1)`` (64 for 4 levels); 1 for other
        models (not checked here)."""
        from mmflow.models.decoders.raft_decoder import RAFTDecoder
        decoder = getattr(self.model, 'decoder', None)
        if isinstance(decoder, RAFTDecoder):
            return 8 * 2**(decoder.num_levels - 1)
        return 1

    def _fit_size(self, h: int, w: int) -> Tuple[int, int]:
        d = self.divisor
        if self.size_mode == 'none':
            if h % d or w % d:
                raise ValueError(
                    f'{self.config_name}: {self.model_name} with '
                    f"size_mode='none' needs H and W that are multiples of "
                    f'{d}, got {h}x{w} (use size_mode "pad" or "resize")')
            return h, w
        return -(-h // d) * d, -(-w // d) * d

    def _prepare(self, frames_t: Tensor, frames_s: Tensor,
                 device: torch.device) -> Tuple[List[Tensor], dict]:
        """BGR float frames fitted to the model, and their meta-info."""
        h, w = frames_t.shape[2:]
        new_h, new_w = self._fit_size(h, w)
        if min(new_h, new_w) < self.min_size():
            raise ValueError(
                f'{self.config_name}: {self.model_name} cannot take frames '
                f'of {h}x{w} (fitted to {new_h}x{new_w}): it needs at least '
                f'{self.min_size()}x{self.min_size()} pixels')
        pairs = torch.stack((frames_t, frames_s), 1).to(device).float()
        pairs = pairs.flip(2)  # RGB -> BGR, as mmflow's image loader
        n = pairs.size(0)
        flat = pairs.flatten(0, 1)
        meta = dict(ori_shape=(h, w), img_shape=(new_h, new_w))
        if (new_h, new_w) != (h, w) and self.size_mode == 'pad':
            pad_h, pad_w = new_h - h, new_w - w
            top, left = pad_h // 2, pad_w // 2
            flat = F.pad(flat, (left, pad_w - left, top, pad_h - top),
                         mode='replicate')
            meta['pad'] = [[top, pad_h - top], [left, pad_w - left]]
        elif (new_h, new_w) != (h, w):
            flat = F.interpolate(
                flat, (new_h, new_w), mode='bilinear', align_corners=False)
            meta['scale_factor'] = (new_w / w, new_h / h)
        return list(flat.view(n, 2, 3, new_h, new_w)), meta

    def estimate(self, frames_t: Tensor, frames_s: Tensor,
                 paths_t: Optional[Sequence[str]]) -> Tensor:
        from mmflow.structures import FlowDataSample
        device = next(self.model.parameters()).device
        if self.cuda_only_ops and device.type != 'cuda':
            raise RuntimeError(
                self._cuda_only_message(f'the model is on {device}'))
        pairs, meta = self._prepare(frames_t, frames_s, device)
        preprocessor = self.model.data_preprocessor
        if preprocessor.device != device:
            preprocessor.to(device)
        flows = []
        for pair in pairs:
            data = preprocessor(
                dict(inputs=[pair], data_samples=[FlowDataSample(
                    metainfo=meta)]), False)
            try:
                result = self.model.predict(data['inputs'],
                                            data['data_samples'])
            except RuntimeError as err:
                raise RuntimeError(
                    f'{self.config_name}: {self.model_name} failed on frames '
                    f'of {meta["ori_shape"]} (model input '
                    f'{meta["img_shape"]}): {err}') from err
            flows.append(result[0].pred_flow_fw.data)
        return torch.stack(flows)
