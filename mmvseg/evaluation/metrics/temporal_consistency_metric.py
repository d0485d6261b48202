# Copyright (c) mmvseg contributors. All rights reserved.
"""Temporal consistency of video predictions (methods.md §4.4)."""
import inspect
import math
import warnings
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.device import get_device
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.structures import SegDataSample
from prettytable import PrettyTable
from torch import Tensor

from mmvseg.registry import METRICS, MODELS
from mmvseg.utils.io import read_image
from .tc_protocols import (PROTOCOL_WARP_MODES, WARP_MODES, etc_pair_areas,
                           etc_score, ssp_pair_score, vspw_window_scores,
                           warp_labels)

PROTOCOLS = ('ssp', 'etc', 'vspw')
SPARSE_GT_ACTIONS = ('error', 'skip')


def clip_frames(sample: Any) -> List[SegDataSample]:
    """The frames of one clip as the Evaluator hands it to a metric.

    ``Evaluator.process`` turns a :class:`VideoSegDataSample` into a dict whose
    ``'video_data_samples'`` is still the list of :class:`SegDataSample`
    (openmmlab_anchors.md B8); a :class:`VideoSegDataSample` is accepted too.

    Raises:
        TypeError: the sample holds no list of frames.
    """
    frames = (sample.get('video_data_samples')
              if isinstance(sample, dict) else getattr(
                  sample, 'video_data_samples', None))
    if not isinstance(frames, (list, tuple)):
        raise TypeError('a video metric expects clips (dicts or '
                        'VideoSegDataSample with "video_data_samples"), got '
                        f'{type(sample)}')
    return list(frames)


def describe_flow(cfg: Optional[dict]) -> str:
    """``'DISFlow(preset=medium)'``: the estimator type with its arguments in
    signature order, defaults of the registered class filled in; ``'none'``
    for no flow."""
    if cfg is None:
        return 'none'
    args = dict(cfg)
    flow_type = args.pop('type')
    cls = MODELS.get(flow_type) if isinstance(flow_type, str) else flow_type
    params = {}
    if cls is not None:
        for param in inspect.signature(cls).parameters.values():
            if param.name in args:
                params[param.name] = args.pop(param.name)
            elif param.default is not param.empty and param.name != 'init_cfg':
                params[param.name] = param.default
    params.update(args)
    name = flow_type if isinstance(flow_type, str) else flow_type.__name__
    return f'{name}(' + ', '.join(f'{k}={v}' for k, v in params.items()) + ')'


def _check_same_size(frames: List[SegDataSample], preds: List[Tensor]) -> None:
    """Raise ``ValueError`` naming the first frame whose prediction size
    differs from that of the clip's first frame."""
    for frame, pred in zip(frames, preds):
        if pred.shape != preds[0].shape:
            raise ValueError(
                f'{frame.get("img_path")}: prediction size '
                f'{tuple(pred.shape)} differs from that of the clip\'s first '
                f'frame {tuple(preds[0].shape)}')


@METRICS.register_module()
class TemporalConsistencyMetric(BaseMetric):
    """Temporal consistency of the predictions of whole clips.

    Three protocols (methods.md §4.4), each fixing pairs, warp and
    accumulation:

    * ``'ssp'`` (FraunhoferIVI/SSP ``utils/metrics.py``): for every
      consecutive pair (t, t+1) of a clip, the prediction of t+1 is warped
      onto t with ``f_{t->t+1}`` and scored by :func:`ssp_pair_score`;
      TC_clip = mean over the clip's pairs, TC = mean over clips with at
      least two frames.
    * ``'etc'`` (irfanICMLL/ETC ``tool/eval_tc.py``): same pairs and warp
      direction; class intersections and unions are summed over all pairs of
      all clips, TC = mean over all K classes of I_c / U_c.
    * ``'vspw'`` (VSPW_code ``VC_perclip.py``): no flow; VC_n = nanmean over
      all windows of all clips of the window scores of
      :func:`vspw_window_scores` (needs ground truth on every frame). A clip
      plays the role of VSPW's video: windows never span two clips.

    Frames are read from their ``img_path`` (decoded BGR, handed to the flow
    estimator as RGB 0–255 uint8 CPU tensors), ``flow_batch_size`` pairs at a
    time; an estimator that is an ``nn.Module`` is moved to mmengine's
    ``get_device()`` (GPU when available).
    ``process`` appends exactly one fixed-size summary per clip
    (openmmlab_anchors.md B8):

    * ssp: ``dict(score_sum, num_pairs)``;
    * etc: ``dict(area_intersect, area_union, num_pairs)``, (K,) int64 areas;
    * vspw: ``dict(acc_sum, num_windows)``, one entry per ``vc_n`` (windows
      with NaN scores are not counted, as ``np.nanmean``).

    Args:
        protocol: ``'ssp'``, ``'etc'`` or ``'vspw'``.
        flow: config of the flow estimator (``MODELS``), called as
            ``estimator(frames_t, frames_s, paths_t=...) -> f_{t->s}``.
            Defaults to ``dict(type='DISFlow')`` for ssp/etc; must be None for
            vspw.
        warp_mode: one of ``'legacy_nearest'``, ``'repo_bilinear_trunc'``,
            ``'nearest'``, ``'bilinear'`` (see :func:`warp_labels`); None for
            the protocol default (ssp: legacy_nearest, etc:
            repo_bilinear_trunc); must be None for vspw.
        vc_n: window lengths of the vspw protocol.
        on_sparse_gt: vspw on a clip with an unlabelled frame: ``'error'``
            raises, ``'skip'`` warns and scores nothing for the clip.
        flow_batch_size: frame pairs sent to the flow estimator at once.
        ignore_index: warped label value left out of the ssp/etc scores.
        num_classes: how many labels a prediction may take; defaults to the
            dataset's classes. Set it to the model's output count when the
            model predicts extra labels (e.g. ESPNet's 12th output, CamVid
            "void"): such labels then count like classes.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'tc_<protocol>'`` so that several
            protocols can share an evaluator.

    ``compute_metrics`` returns ``TC`` (ssp/etc) or ``VC_<n>`` (vspw) in %,
    rounded to two decimals, followed by the strings ``TC_protocol``,
    ``TC_warp_mode`` and ``TC_flow`` that say how the number was made (logged
    as non-scalar runtime info by mmengine, never as scalars).

    Raises:
        ValueError: unknown protocol / warp mode / on_sparse_gt, a flow or
            warp mode given for vspw, ``vc_n`` values below 2.
    """

    default_prefix = 'tc'

    def __init__(self,
                 protocol: str = 'ssp',
                 flow: Optional[dict] = None,
                 warp_mode: Optional[str] = None,
                 vc_n: Sequence[int] = (8, 16),
                 on_sparse_gt: str = 'error',
                 flow_batch_size: int = 4,
                 ignore_index: int = 255,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(
                f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        super().__init__(
            collect_device=collect_device,
            prefix=prefix or f'{self.default_prefix}_{protocol}')
        self.protocol = protocol
        if protocol == 'vspw':
            if flow is not None or warp_mode is not None:
                raise ValueError('the vspw protocol uses no flow: leave flow '
                                 'and warp_mode unset')
        else:
            flow = dict(type='DISFlow') if flow is None else flow
            warp_mode = warp_mode or PROTOCOL_WARP_MODES[protocol]
            if warp_mode not in WARP_MODES:
                raise ValueError(f'warp_mode must be one of {WARP_MODES}, '
                                 f'got {warp_mode!r}')
        if on_sparse_gt not in SPARSE_GT_ACTIONS:
            raise ValueError(f'on_sparse_gt must be one of '
                             f'{SPARSE_GT_ACTIONS}, got {on_sparse_gt!r}')
        if any(n < 2 for n in vc_n) or not vc_n:
            raise ValueError(f'vc_n must hold window lengths >= 2, got {vc_n}')
        if flow_batch_size < 1:
            raise ValueError(
                f'flow_batch_size must be >= 1, got {flow_batch_size}')
        self.flow_cfg = flow
        self.warp_mode = warp_mode
        self.vc_n = tuple(int(n) for n in vc_n)
        self.on_sparse_gt = on_sparse_gt
        self.flow_batch_size = flow_batch_size
        self.ignore_index = ignore_index
        self.num_classes = num_classes
        self.flow_estimator = None if flow is None else MODELS.build(flow)
        if isinstance(self.flow_estimator, torch.nn.Module):
            self.flow_estimator.to(get_device()).eval()

    @property
    def label_count(self) -> int:
        """K: ``num_classes`` or the number of dataset classes."""
        return self.num_classes or len(self.dataset_meta['classes'])

    @property
    def info(self) -> Dict[str, str]:
        """How the numbers are made: protocol, warp mode, flow estimator."""
        return dict(
            TC_protocol=self.protocol,
            TC_warp_mode=self.warp_mode or 'none',
            TC_flow=describe_flow(self.flow_cfg))

    @property
    def score_keys(self) -> Tuple[str, ...]:
        """Keys of the scores: ``('TC',)`` or ``('VC_8', 'VC_16', ...)``."""
        if self.protocol == 'vspw':
            return tuple(f'VC_{n}' for n in self.vc_n)
        return ('TC', )

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append one summary per clip.

        Args:
            data_batch: unused.
            data_samples: clips; every frame carries ``pred_sem_seg`` (1, H, W)
                at original size and ``img_path``; vspw also needs
                ``gt_sem_seg`` (1, H, W) on every frame.

        Raises:
            ValueError: a frame without prediction, prediction values outside
                ``[0, K)``, an image or label whose size differs from its
                prediction, a flow of the wrong shape, or (vspw,
                ``on_sparse_gt='error'``) an unlabelled frame.
        """
        for sample in data_samples:
            frames = clip_frames(sample)
            if self.protocol == 'vspw':
                self.results.append(self._vspw_summary(frames))
            else:
                self.results.append(self._pair_summary(frames))

    def _prediction(self, frame: SegDataSample) -> Tensor:
        if 'pred_sem_seg' not in frame:
            raise ValueError(f'{frame.get("img_path")}: frame has no '
                             'pred_sem_seg')
        return frame.pred_sem_seg.data[0].long().cpu()

    def _read_rgb(self, path: str, hw: Tuple[int, int]) -> Tensor:
        """(3, H, W) uint8 RGB frame, checked against the prediction size."""
        img = read_image(path)
        if img.shape[:2] != tuple(hw):
            raise ValueError(
                f'{path}: image size {img.shape[:2]} (H, W) differs from the '
                f'size of its prediction {tuple(hw)}')
        return torch.from_numpy(np.ascontiguousarray(img[..., ::-1])).permute(
            2, 0, 1)

    def _pair_flows(self, paths: List[str],
                    hw: Tuple[int, int]) -> Iterator[Tuple[int, Tensor]]:
        """Yield ``(start, f)`` with ``f`` (B, 2, H, W) = ``f_{t->t+1}`` for
        t = start … start+B-1, at most ``flow_batch_size`` pairs at once."""
        images = [self._read_rgb(paths[0], hw)]
        for start in range(0, len(paths) - 1, self.flow_batch_size):
            stop = min(start + self.flow_batch_size, len(paths) - 1)
            images = images[-1:] + [
                self._read_rgb(paths[t], hw)
                for t in range(start + 1, stop + 1)
            ]
            batch = torch.stack(images)
            with torch.no_grad():
                flow = self.flow_estimator(
                    batch[:-1], batch[1:], paths_t=paths[start:stop])
            expected = (stop - start, 2, *hw)
            if tuple(flow.shape) != expected:
                raise ValueError(
                    f'{paths[start]}: flow estimator '
                    f'{describe_flow(self.flow_cfg)} returned shape '
                    f'{tuple(flow.shape)}, expected {expected}')
            yield start, flow

    def _pair_summary(self, frames: List[SegDataSample]) -> dict:
        num_classes = self.label_count
        preds = [self._prediction(frame) for frame in frames]
        paths = [frame.img_path for frame in frames]
        _check_same_size(frames, preds)
        for path, pred in zip(paths, preds):
            if pred.numel() and (pred.min() < 0 or pred.max() >= num_classes):
                raise ValueError(
                    f'{path}: prediction values outside [0, {num_classes})')
        score_sum, num_pairs = 0.0, 0
        area_intersect = np.zeros(num_classes, np.int64)
        area_union = np.zeros(num_classes, np.int64)
        if len(frames) > 1:
            for start, flow in self._pair_flows(paths, tuple(preds[0].shape)):
                nxt = torch.stack(preds[start + 1:start + 1 + len(flow)])
                warped = warp_labels(nxt.to(flow.device), flow, self.warp_mode)
                for pred, wrp in zip(preds[start:], warped.cpu()):
                    if self.protocol == 'ssp':
                        score_sum += ssp_pair_score(pred, wrp, num_classes,
                                                    self.ignore_index)
                    else:
                        inter, union = etc_pair_areas(pred, wrp, num_classes,
                                                      self.ignore_index)
                        area_intersect += inter.numpy()
                        area_union += union.numpy()
                    num_pairs += 1
        if self.protocol == 'ssp':
            return dict(score_sum=score_sum, num_pairs=num_pairs)
        return dict(
            area_intersect=area_intersect,
            area_union=area_union,
            num_pairs=num_pairs)

    def _vspw_summary(self, frames: List[SegDataSample]) -> dict:
        acc_sum = np.zeros(len(self.vc_n), np.float64)
        num_windows = np.zeros(len(self.vc_n), np.int64)
        unlabelled = [
            f.get('img_path') for f in frames if 'gt_sem_seg' not in f
        ]
        if unlabelled:
            message = (f'{unlabelled[0]}: no ground truth; the vspw protocol '
                       'needs ground truth on every frame of a clip')
            if self.on_sparse_gt == 'error':
                raise ValueError(message + " (on_sparse_gt='skip' skips such "
                                 'clips)')
            warnings.warn(message + ': clip skipped')
            return dict(acc_sum=acc_sum, num_windows=num_windows)
        preds = [self._prediction(frame) for frame in frames]
        gts = [frame.gt_sem_seg.data[0].cpu() for frame in frames]
        for frame, pred, gt in zip(frames, preds, gts):
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{frame.get("img_path")}: prediction size '
                    f'{tuple(pred.shape)} differs from its label size '
                    f'{tuple(gt.shape)}')
        _check_same_size(frames, preds)
        preds, gts = torch.stack(preds), torch.stack(gts)
        for i, n in enumerate(self.vc_n):
            scores = np.asarray(vspw_window_scores(gts, preds, n), np.float64)
            valid = ~np.isnan(scores)
            acc_sum[i] = scores[valid].sum()
            num_windows[i] = valid.sum()
        return dict(acc_sum=acc_sum, num_windows=num_windows)

    def summarize(self, results: List[dict]) -> Dict[str, float]:
        """Scores as fractions in [0, 1] (NaN when nothing was scored).

        Applied to one clip's summary it gives that clip's value, e.g. for etc
        the protocol applied to that clip alone.

        Args:
            results: summaries appended by :meth:`process`.

        Returns:
            dict: ``{'TC': value}`` or ``{'VC_8': value, ...}``.
        """
        if self.protocol == 'ssp':
            clip_scores = [
                r['score_sum'] / r['num_pairs'] for r in results
                if r['num_pairs'] > 0
            ]
            return dict(
                TC=float(np.mean(clip_scores)) if clip_scores else math.nan)
        if self.protocol == 'etc':
            if sum(r['num_pairs'] for r in results) == 0:
                return dict(TC=math.nan)
            return dict(
                TC=etc_score(
                    sum(r['area_intersect'] for r in results),
                    sum(r['area_union'] for r in results)))
        acc_sum = sum((r['acc_sum'] for r in results),
                      np.zeros(len(self.vc_n)))
        counts = sum((r['num_windows'] for r in results),
                     np.zeros(len(self.vc_n), np.int64))
        return {
            key: float(total / count) if count else math.nan
            for key, total, count in zip(self.score_keys, acc_sum, counts)
        }

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Scores in % (two decimals) followed by the info strings.

        Warns when a score is NaN (no pair or window could be scored).
        """
        logger: MMLogger = MMLogger.get_current_instance()
        scores = self.summarize(results)
        for key, value in scores.items():
            if math.isnan(value):
                warnings.warn(f'{key} ({self.protocol}) is undefined: no '
                              f'frame pair or window of the {len(results)} '
                              'clips could be scored')
        if self.protocol == 'etc' and results:
            self._log_class_table(results, logger)
        print_log(
            f'temporal consistency over {len(results)} clips: ' +
            ', '.join(f'{k}={v}' for k, v in self.info.items()), logger)
        metrics: Dict[str, Any] = {
            key: float(np.round(value * 100, 2))
            for key, value in scores.items()
        }
        metrics.update(self.info)
        return metrics

    def _log_class_table(self, results: List[dict], logger: MMLogger) -> None:
        inter = sum(r['area_intersect'] for r in results)
        union = sum(r['area_union'] for r in results)
        table = PrettyTable()
        table.add_column('Class', list(self.dataset_meta['classes']))
        table.add_column('TC IoU', np.round(inter / (union + 1e-10) * 100, 2))
        print_log('per class temporal consistency (etc):', logger)
        print_log('\n' + table.get_string(), logger=logger)
