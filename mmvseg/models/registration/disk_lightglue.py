# Copyright (c) mmvseg contributors. All rights reserved.
"""Global registration with DISK + LightGlue + RANSAC.

The default registration of FraunhoferIVI/SSP (``models/video/
models_consistency.py`` ``DiskFeatureRegistrator``, config
``k_registrator_model: disk``): DISK keypoints and descriptors (Tyszkiewicz
et al., NeurIPS 2020), LightGlue matching (Lindenberger et al., ICCV 2023)
and a RANSAC homography, all from kornia. Weights are read from local files
only; nothing is downloaded. The files are those kornia would fetch:

- ``disk_weights``: ``depth-save.pth`` of cvlab-epfl/disk
  (:data:`DISK_WEIGHTS_URLS`, the URLs kornia's ``DISK.from_pretrained(
  'depth')`` tries), a dict whose ``'extractor'`` entry is the state dict of
  ``kornia.feature.DISK()``; a plain ``DISK`` state dict also works.
- ``lightglue_weights``: ``disk_lightglue.pth`` of cvg/LightGlue
  (:data:`LIGHTGLUE_WEIGHTS_URLS`, those of kornia's ``LightGlue('disk')``),
  the state dict of LightGlue for 128-d DISK descriptors, in the legacy
  (``self_attn.<i>.*``, ``cross_attn.<i>.*``) or in kornia's
  (``transformers.<i>.self_attn.*``) key layout.
"""
import logging
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import torch
from kornia.feature import DISK, DISKFeatures, LightGlue
from kornia.geometry import RANSAC
from mmengine.logging import print_log
from torch import Tensor

from mmvseg.models.utils import imagenet_normalize
from mmvseg.registry import MODELS
from .base import BaseRegistration

#: Where to download ``disk_weights`` by hand (not used by the code).
DISK_WEIGHTS_URLS = (
    'https://huggingface.co/kornia/disk/resolve/main/depth-save.pth',
    'https://raw.githubusercontent.com/cvlab-epfl/disk/master/depth-save.pth',
)
#: Where to download ``lightglue_weights`` by hand (not used by the code).
LIGHTGLUE_WEIGHTS_URLS = (
    'https://huggingface.co/kornia/lightglue/resolve/main/'
    'disk_lightglue.pth',
    'https://github.com/cvg/LightGlue/releases/download/v0.1_arxiv/'
    'disk_lightglue.pth',
)
_LEGACY_ATTENTION = re.compile(r'^(self_attn|cross_attn)\.(\d+)\.')


def _read_state_dict(path: str, what: str) -> Dict[str, Tensor]:
    """Tensors of a local weight file (``weights_only`` unpickling).

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: the file cannot be read or holds no dict.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: {what} weight file not found')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: B902 - torch raises several types
        raise ValueError(f'{path}: cannot read {what} weights: {err}') from err
    if not isinstance(state, dict):
        raise ValueError(f'{path}: {what} weights must be a dict, got a '
                         f'{type(state).__name__}')
    return state


def load_disk(path: str) -> DISK:
    """``kornia.feature.DISK()`` (128-d) with the weights of a local file.

    Args:
        path: cvlab-epfl/disk ``depth-save.pth`` (state dict under
            ``'extractor'``), or a plain ``DISK`` state dict.

    Returns:
        DISK: in eval mode, on the CPU.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: unreadable file, or keys/shapes that do not fit ``DISK``
            (the message names the file).
    """
    state = _read_state_dict(path, 'DISK')
    state = state.get('extractor', state)
    disk = DISK()
    try:
        disk.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f'{path}: not a DISK state dict: {err}') from err
    return disk.eval()


def lightglue_disk_config() -> Dict:
    """kornia's LightGlue configuration for DISK, without its weight name.

    ``LightGlue.features['disk']`` (128-d input) with ``weights=None``;
    passed to ``LightGlue(None, **config)`` it builds the same network as
    ``LightGlue('disk')`` but downloads nothing.
    """
    config = dict(LightGlue.features['disk'])
    config['weights'] = None
    return config


def load_lightglue_disk(path: Optional[str], **overrides) -> LightGlue:
    """LightGlue for DISK descriptors with the weights of a local file.

    Args:
        path: cvg/LightGlue ``disk_lightglue.pth`` (legacy keys
            ``self_attn.<i>.*`` / ``cross_attn.<i>.*`` are renamed to
            ``transformers.<i>.*``); None keeps random weights.
        **overrides: LightGlue options (e.g. ``filter_threshold``) that
            replace kornia's defaults.

    Returns:
        LightGlue: in eval mode, on the CPU.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: unreadable file, unexpected keys, missing parameters or
            wrong shapes (the message names the file). Missing buffers
            (``confidence_thresholds``, derived from the configuration) are
            allowed, as in kornia.
    """
    matcher = LightGlue(None, **{**lightglue_disk_config(), **overrides})
    if path is not None:
        state = {
            _LEGACY_ATTENTION.sub(r'transformers.\2.\1.', key): value
            for key, value in _read_state_dict(path, 'LightGlue').items()
        }
        try:
            result = matcher.load_state_dict(state, strict=False)
        except RuntimeError as err:
            raise ValueError(
                f'{path}: wrong LightGlue weights: {err}') from err
        parameters = dict(matcher.named_parameters())
        missing = [k for k in result.missing_keys if k in parameters]
        if missing or result.unexpected_keys:
            raise ValueError(
                f'{path}: not a LightGlue-for-DISK state dict: '
                f'{len(missing)} missing parameters {missing[:5]}, '
                f'{len(result.unexpected_keys)} unexpected keys '
                f'{result.unexpected_keys[:5]}')
    return matcher.eval()


@MODELS.register_module()
class DiskLightGlueRegistration(BaseRegistration):
    """Frame-to-frame homography from DISK + LightGlue + RANSAC.

    For each pair (frame t-1 = source, frame t = destination), as
    FraunhoferIVI/SSP ``DiskFeatureRegistrator``:

    1. (:meth:`describe_frames`) each frame, converted by ``reg_input``, goes
       through ``DISK(image, n=num_keypoints, window_size, score_threshold,
       pad_if_not_divisible=True)``, one frame at a time (the repo runs the
       pair as a batch of 2; on the CPU DISK's outputs do not depend on the
       batch);
    2. LightGlue (kornia defaults: filter_threshold 0.1, depth_confidence
       0.95, width_confidence 0.99, 9 layers) matches the descriptors, given
       the keypoints (x, y) in pixels and the image size; this is what
       ``kornia.feature.LightGlueMatcher('disk')`` computes from LAFs of
       scale 1 with ``hw1 = hw2 = (H, W)``, without its download;
    3. kornia's RANSAC fits ``H_{t-1->t}`` to the matched keypoints.

    The repo used kornia 0.8.0, whose ``RANSAC(inl_th=2.5)`` compares the
    *squared* one-way transfer error with 2.5, i.e. an inlier lies within
    sqrt(2.5) ~ 1.58 px; older kornia RANSAC also scored by inlier count and
    refitted on all inliers (not checked in 0.8.0 itself). kornia 0.9 takes
    the threshold in pixels and defaults to other scoring and refinement, so
    the default ``ransac_cfg`` is the closest kornia 0.9 setting:
    ``inl_th=sqrt(2.5), batch_size=2048, max_iter=10, confidence=0.99,
    max_lo_iters=5, score_type='ransac', local_optimization='dlt',
    lo_sample_size=None`` (sampling is random unless ``seed`` is given).

    Falls back to the identity, with a warning giving the number of matches,
    when there are fewer than ``min_matches`` matches (the repo's rule, there
    without a warning), or when RANSAC fails (kornia's all-zero model) or
    gives a non-finite H or ``|det H| < 1e-8`` (mmvseg's choice;
    :class:`BaseRegistration`).

    The networks are frozen and stay in eval mode; everything runs under
    ``torch.no_grad`` (the repo uses ``inference_mode``, whose tensors could
    not be saved for backward by the warps that use H).

    Args:
        disk_weights: local DISK weight file (see the module docstring).
        lightglue_weights: local LightGlue-for-DISK weight file.
            Either None keeps random weights (warning) - only for tests.
        num_keypoints: DISK keypoints per frame at most (2048).
        window_size: DISK non-maximum-suppression window (5).
        score_threshold: DISK keeps heatmap scores strictly above it (0.0).
        reg_input: what DISK sees. ``'repo_normalized'`` (default):
            ImageNet-normalised RGB, as the repo feeds it (although DISK
            was trained on [0, 1] RGB, cvlab-epfl/disk); ``'rgb01'``:
            RGB / 255.
        min_matches: fewest matches to fit H (>= 4).
        lightglue_cfg: LightGlue options overriding kornia's defaults.
        ransac_cfg: ``kornia.geometry.RANSAC`` options overriding the
            defaults above (``model_type`` is always ``'homography'``).
        scale: describe and match the frames resized by this factor, as the
            repo's ``low_scale_homo`` (1/4) (:class:`BaseRegistration`;
            the RANSAC threshold is then in pixels of the resized frames).
        init_cfg: mmengine initialisation config (unused by default).

    Raises:
        ValueError: unknown ``reg_input``, ``min_matches < 4``, bad weight
            files, a ``model_type`` in ``ransac_cfg``, ``scale`` outside
            (0, 1].
        FileNotFoundError: a weight file does not exist.
    """

    REG_INPUTS = ('repo_normalized', 'rgb01')

    def __init__(self,
                 disk_weights: Optional[str] = None,
                 lightglue_weights: Optional[str] = None,
                 num_keypoints: int = 2048,
                 window_size: int = 5,
                 score_threshold: float = 0.0,
                 reg_input: str = 'repo_normalized',
                 min_matches: int = 4,
                 lightglue_cfg: Optional[dict] = None,
                 ransac_cfg: Optional[dict] = None,
                 scale: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(min_matches, scale, init_cfg)
        if reg_input not in self.REG_INPUTS:
            raise ValueError(f'reg_input must be one of {self.REG_INPUTS}, '
                             f'got {reg_input!r}')
        ransac_cfg = dict(ransac_cfg or {})
        if 'model_type' in ransac_cfg:
            raise ValueError('ransac_cfg cannot set model_type (always '
                             "'homography')")
        self.num_keypoints = num_keypoints
        self.window_size = window_size
        self.score_threshold = score_threshold
        self.reg_input = reg_input
        for name, path in (('disk_weights', disk_weights),
                           ('lightglue_weights', lightglue_weights)):
            if path is None:
                print_log(
                    f'DiskLightGlueRegistration has no {name}: its weights '
                    'are random and its homographies meaningless', 'current',
                    logging.WARNING)
        self.disk = (
            DISK().eval() if disk_weights is None else load_disk(disk_weights))
        self.matcher = load_lightglue_disk(lightglue_weights,
                                           **(lightglue_cfg or {}))
        self.ransac = RANSAC(
            'homography', **{
                **dict(
                    inl_th=2.5**0.5,
                    batch_size=2048,
                    max_iter=10,
                    confidence=0.99,
                    max_lo_iters=5,
                    score_type='ransac',
                    local_optimization='dlt',
                    lo_sample_size=None),
                **ransac_cfg
            })
        self.requires_grad_(False)

    def train(self, mode: bool = True) -> 'DiskLightGlueRegistration':
        """Keep DISK and LightGlue in eval mode whatever ``mode`` asks."""
        super().train(mode)
        self.disk.eval()
        self.matcher.eval()
        return self

    def prepare(self, frames: Tensor) -> Tensor:
        """(N, 3, H, W) RGB 0-255 (uint8 or float) -> float32 DISK input
        according to ``reg_input``."""
        x = frames.float()
        if self.reg_input == 'rgb01':
            return x / 255
        return imagenet_normalize(x)

    def detect(self, images: Tensor) -> List[DISKFeatures]:
        """DISK features of prepared images (B, 3, H, W): per image
        ``keypoints`` (K, 2) float (x, y) pixels and ``descriptors``
        (K, 128), L2-normalised."""
        return self.disk(
            images,
            self.num_keypoints,
            window_size=self.window_size,
            score_threshold=self.score_threshold,
            pad_if_not_divisible=True)

    def match(self, features_src: DISKFeatures, features_dst: DISKFeatures,
              size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """LightGlue matches between two frames of size (H, W).

        Returns:
            tuple[Tensor, Tensor]: matched keypoints (M, 2) (x, y) pixels of
            the source and of the destination frame, row i matching row i;
            M = 0 when either frame has fewer than 2 keypoints.
        """
        kpts_src, kpts_dst = features_src.keypoints, features_dst.keypoints
        if len(kpts_src) < 2 or len(kpts_dst) < 2:
            return kpts_src[:0], kpts_dst[:0]
        h, w = size
        image_size = kpts_src.new_tensor([[w, h]])
        out = self.matcher({
            'image0':
            dict(
                keypoints=kpts_src[None],
                descriptors=features_src.descriptors[None],
                image_size=image_size),
            'image1':
            dict(
                keypoints=kpts_dst[None],
                descriptors=features_dst.descriptors[None],
                image_size=image_size),
        })
        matches = out['matches0'][0]
        valid = matches > -1
        return kpts_src[valid], kpts_dst[matches[valid]]

    def estimate(self, points_src: Tensor,
                 points_dst: Tensor) -> Optional[Tensor]:
        """kornia RANSAC homography (3, 3) of (M, 2) matched points (x, y)
        pixels; all zeros when RANSAC finds no model."""
        homography, _ = self.ransac(points_src.float(), points_dst.float())
        return homography

    @torch.no_grad()
    def describe_frames(self, frames: Tensor) -> List[DISKFeatures]:
        """DISK features of each frame, computed one frame at a time.

        Args:
            frames: (N, 3, H, W) RGB frames, uint8 or float 0-255, on any
                device (moved to DISK's).

        Returns:
            list[DISKFeatures]: N features (see :meth:`detect`) on DISK's
            device.
        """
        device = next(self.disk.parameters()).device
        return [
            self.detect(self.prepare(frame[None].to(device)))[0]
            for frame in frames
        ]
