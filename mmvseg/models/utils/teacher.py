# Copyright (c) mmvseg contributors. All rights reserved.
"""Frozen teacher models for distillation (KD-SSP, ETC).

A teacher is any mmseg image model (``EncoderDecoder``, ...) or mmvseg video
segmentor, built from a config and loaded from a local checkpoint. The
anchors are mmdet's ``SemiBaseDetector.freeze`` and
``BaseMOTModel.freeze_module`` (mmdet/models/detectors/semi_base.py,
mmdet/models/mot/base.py): eval mode and ``requires_grad=False``.
"""
import os.path as osp
from typing import Union

from mmengine.config import Config, ConfigDict
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from torch import nn

from mmvseg.registry import MODELS

IMAGE_MODEL_PREFIX = 'image_model.'


def _model_config(model: Union[str, dict]) -> dict:
    if isinstance(model, str):
        if not osp.isfile(model):
            raise FileNotFoundError(f'{model}: teacher config not found')
        model = Config.fromfile(model).model
    if not isinstance(model, (dict, ConfigDict)) or 'type' not in model:
        raise ValueError('teacher.model must be a model config dict or the '
                         f'path of a config file, got {model!r}')
    model = dict(model)
    model.pop('data_preprocessor', None)
    model.pop('init_cfg', None)
    return model


def _select_weights(state_dict: dict, teacher: nn.Module) -> dict:
    """Keys of ``state_dict`` as ``teacher`` names them.

    A video-segmentor checkpoint (keys ``image_model.*`` and others) loads
    into an image-model teacher through its ``image_model.*`` keys; an
    image-model checkpoint loads into a video teacher through the video
    segmentor's own key prefixing.
    """
    state_dict = {
        k[len('module.'):] if k.startswith('module.') else k: v
        for k, v in state_dict.items()
    }
    own = teacher.state_dict()
    if any(k.startswith(IMAGE_MODEL_PREFIX) for k in own):
        return state_dict
    if any(k.startswith(IMAGE_MODEL_PREFIX) for k in state_dict):
        return {
            k[len(IMAGE_MODEL_PREFIX):]: v
            for k, v in state_dict.items() if k.startswith(IMAGE_MODEL_PREFIX)
        }
    return state_dict


def build_teacher(model: Union[str, dict], checkpoint: str) -> nn.Module:
    """Build a frozen teacher from a config and a local checkpoint.

    Args:
        model: the teacher's model config (an mmseg image model or an mmvseg
            video segmentor), or the path of a config file whose ``model``
            is used. Its ``data_preprocessor`` and ``init_cfg`` are dropped:
            the teacher sees the student's preprocessed frames and its
            weights come from ``checkpoint``.
        checkpoint: local path of a checkpoint (mmengine's ``state_dict``
            layout or a bare state dict), loaded strictly. A video
            segmentor's checkpoint may be given for an image-model teacher
            (its ``image_model.*`` weights are used) and an image model's
            for a video teacher.

    Returns:
        nn.Module: the teacher in eval mode with ``requires_grad=False``.

    Raises:
        FileNotFoundError: the config or checkpoint file does not exist.
        ValueError: ``model`` is not a model config.
        RuntimeError: the checkpoint's keys or shapes do not match the
            teacher (missing or unexpected keys are listed).
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'{checkpoint}: teacher checkpoint not found')
    teacher = MODELS.build(_model_config(model))
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state_dict = loaded.get('state_dict', loaded)
    try:
        load_state_dict(
            teacher, _select_weights(state_dict, teacher), strict=True)
    except RuntimeError as error:
        raise RuntimeError(f'{checkpoint}: does not match the teacher '
                           f'model: {error}') from error
    teacher.requires_grad_(False)
    return teacher.eval()
