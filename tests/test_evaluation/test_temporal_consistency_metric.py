# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmvseg.evaluation.metrics import (BaseTemporalConsistencyMetric,
                                       ETCTemporalConsistencyMetric,
                                       SSPTemporalConsistencyMetric,
                                       TemporalConsistencyMetric,
                                       VSPWTemporalConsistencyMetric)
from mmvseg.registry import METRICS, MODELS
from mmvseg.structures import VideoSegDataSample

P0 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
P1 = [[0, 0, 0], [0, 0, 1], [2, 2, 2]]


def example_flow() -> torch.Tensor:
    """(2, 3, 3) f_{0->1} of the ssp/etc example: u = +1 except u(1, 1) =
    0.5, v = 0."""
    flow = torch.zeros(2, 3, 3)
    flow[0] = 1
    flow[0, 1, 1] = 0.5
    return flow


class ToyTCFlow(torch.nn.Module):
    """Flow looked up by the path of frame t (zero flow when absent)."""

    calls = []

    def __init__(self, flows: dict) -> None:
        super().__init__()
        self.flows = flows

    def forward(self, frames_t, frames_s, paths_t=None):
        ToyTCFlow.calls.append((frames_t.clone(), frames_s.clone(),
                                list(paths_t)))
        n, _, h, w = frames_t.shape
        return torch.stack([
            self.flows.get(path, torch.zeros(2, h, w)) for path in paths_t
        ])


MODELS.register_module(name='ToyTCFlow', module=ToyTCFlow, force=True)


def make_clip(root, name, preds, gts=None, sizes=None):
    """A clip as ``Evaluator.process`` hands it over (``to_dict()``).

    Frames are written as PNGs whose pixel (0, 0) is pure red (BGR 0,0,255
    on disk) and whose other pixels encode the frame index.
    """
    frames = []
    for i, pred in enumerate(preds):
        pred = torch.as_tensor(pred)
        h, w = sizes[i] if sizes else pred.shape
        img = np.full((h, w, 3), i, np.uint8)
        img[0, 0] = (0, 0, 255)
        path = osp.join(str(root), name, f'{i:05d}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, img)
        frame = SegDataSample(metainfo=dict(img_path=path))
        frame.pred_sem_seg = PixelData(data=pred[None])
        if gts is not None and gts[i] is not None:
            frame.gt_sem_seg = PixelData(data=torch.as_tensor(gts[i])[None])
        frames.append(frame)
    clip = VideoSegDataSample()
    clip.video_data_samples = frames
    return clip.to_dict()


def build_metric(num_classes=3, flows=None, **kwargs):
    kwargs.setdefault('flow', dict(type='ToyTCFlow', flows=flows or {}))
    metric = TemporalConsistencyMetric(**kwargs)
    metric.dataset_meta = dict(classes=[f'c{i}' for i in range(num_classes)])
    return metric


def frame_path(root, clip, i):
    return osp.join(str(root), clip, f'{i:05d}.png')


def test_ssp_example_and_info(tmp_path):
    clip = make_clip(tmp_path, 'a', [P0, P1])
    metric = build_metric(
        flows={frame_path(tmp_path, 'a', 0): example_flow()})
    metric.process({}, [clip])
    assert metric.results == [dict(score_sum=pytest.approx(0.583333, abs=1e-6),
                                   num_pairs=1)]
    result = metric.compute_metrics(metric.results)
    assert list(result) == ['TC', 'TC_protocol', 'TC_warp_mode', 'TC_flow']
    assert result['TC'] == 58.33
    assert result['TC_protocol'] == 'ssp'
    assert result['TC_warp_mode'] == 'legacy_nearest'
    assert result['TC_flow'].startswith('ToyTCFlow(flows=')
    assert metric.prefix == 'tc_ssp'
    # frames reach the estimator as RGB uint8: pixel (0, 0) is red
    frames_t, frames_s, paths = ToyTCFlow.calls[-1]
    assert frames_t.dtype == torch.uint8
    assert frames_t[0, :, 0, 0].tolist() == [255, 0, 0]
    assert frames_s[0, 0, 1, 1] == 1 and frames_t[0, 0, 1, 1] == 0
    assert paths == [frame_path(tmp_path, 'a', 0)]


def test_ssp_accumulation_over_clips(tmp_path):
    stripes = [[0, 1, 1]] * 3
    clips = [
        make_clip(tmp_path, 'a', [P0, P1, P1]),  # pair scores 0.5833, 1.0
        make_clip(tmp_path, 'b', [stripes, [[0, 1, 2]] * 3]),  # 0.5
        make_clip(tmp_path, 'c', [P0]),  # a single frame: skipped
    ]
    metric = build_metric(
        flows={frame_path(tmp_path, 'a', 0): example_flow()})
    metric.process({}, clips)
    assert len(metric.results) == 3
    assert metric.results[2] == dict(score_sum=0.0, num_pairs=0)
    assert metric.summarize(metric.results)['TC'] == pytest.approx(
        ((0.583333 + 1.0) / 2 + 0.5) / 2, abs=1e-6)
    assert metric.compute_metrics(metric.results)['TC'] == 64.58
    # mmengine's evaluate keeps one entry per clip and adds the prefix
    metrics = metric.evaluate(len(clips))
    assert metrics['tc_ssp/TC'] == 64.58
    assert metrics['tc_ssp/TC_protocol'] == 'ssp'


def test_etc_example_and_pooling(tmp_path):
    flows = {frame_path(tmp_path, 'a', 0): example_flow()}
    clip = make_clip(tmp_path, 'a', [P0, P1])
    for num_classes, expected in ((3, 50.56), (4, 37.92)):
        metric = build_metric(num_classes, flows, protocol='etc')
        metric.process({}, [clip])
        summary = metric.results[0]
        assert summary['area_intersect'].tolist() == [3, 1, 2] + [0] * (
            num_classes - 3)
        assert summary['area_union'].tolist() == [5, 4, 3] + [0] * (
            num_classes - 3)
        result = metric.compute_metrics(metric.results)
        assert result['TC'] == expected
        assert result['TC_warp_mode'] == 'repo_bilinear_trunc'
    # a second clip with identical all-zero maps is pooled, not averaged
    metric = build_metric(3, flows, protocol='etc')
    zeros = np.zeros((3, 3), np.int64)
    metric.process({}, [clip, make_clip(tmp_path, 'b', [zeros, zeros])])
    # c0: I = 3 + 9, U = 5 + 9
    expected = (12 / 14 + 0.25 + 2 / 3) / 3
    assert metric.summarize(metric.results)['TC'] == pytest.approx(expected)
    assert metric.summarize(metric.results[1:])['TC'] == pytest.approx(1 / 3)


def test_chunked_flow_matches_one_batch(tmp_path):
    rng = np.random.default_rng(0)
    preds = rng.integers(0, 4, (6, 5, 7))
    flows = {
        frame_path(tmp_path, 'a', i): torch.from_numpy(
            rng.uniform(-2, 2, (2, 5, 7)).astype(np.float32))
        for i in range(5)
    }
    clip = make_clip(tmp_path, 'a', preds)
    summaries = []
    for batch_size in (1, 2, 10):
        ToyTCFlow.calls.clear()
        metric = build_metric(4, flows, protocol='etc',
                              flow_batch_size=batch_size, warp_mode='nearest')
        metric.process({}, [clip])
        summaries.append(metric.results[0])
        paths = [p for _, _, call_paths in ToyTCFlow.calls for p in call_paths]
        assert paths == [frame_path(tmp_path, 'a', i) for i in range(5)]
        assert max(len(p) for _, _, p in ToyTCFlow.calls) == min(batch_size, 5)
        for frames_t, frames_s, call_paths in ToyTCFlow.calls:
            first = int(call_paths[0][-9:-4])
            # frame i is filled with the value i (pixel (1, 1), red channel)
            assert frames_t[:, 0, 1, 1].tolist() == list(
                range(first, first + len(call_paths)))
            assert torch.equal(frames_s[:, 0, 1, 1], frames_t[:, 0, 1, 1] + 1)
    for summary in summaries[1:]:
        assert summary['num_pairs'] == 5
        assert np.array_equal(summary['area_intersect'],
                              summaries[0]['area_intersect'])
        assert np.array_equal(summary['area_union'],
                              summaries[0]['area_union'])


G0 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]
G1 = [[0, 0, 1], [0, 1, 1], [2, 2, 2]]
Q0 = [[0, 0, 1], [0, 0, 1], [2, 2, 1]]
Q1 = [[0, 0, 1], [0, 1, 1], [2, 2, 1]]


def test_vspw_example(tmp_path):
    metric = build_metric(protocol='vspw', flow=None, vc_n=(2, 3))
    clip = make_clip(tmp_path, 'a', [Q0, Q1, np.ones((3, 3))],
                     gts=[G0, G1, G1])
    metric.process({}, [clip])
    assert metric.results[0]['num_windows'].tolist() == [1, 0]
    with pytest.warns(UserWarning, match='VC_3'):
        result = metric.compute_metrics(metric.results)
    assert result['VC_2'] == 87.5 and np.isnan(result['VC_3'])
    assert result['TC_protocol'] == 'vspw' and result['TC_flow'] == 'none'
    assert result['TC_warp_mode'] == 'none'
    assert metric.prefix == 'tc_vspw'


def test_vspw_two_frames_is_nan_with_warning(tmp_path):
    metric = build_metric(protocol='vspw', flow=None, vc_n=(2, ))
    metric.process({}, [make_clip(tmp_path, 'a', [Q0, Q1], gts=[G0, G1])])
    with pytest.warns(UserWarning, match='undefined'):
        assert np.isnan(metric.compute_metrics(metric.results)['VC_2'])


def test_vspw_sparse_ground_truth(tmp_path):
    clip = make_clip(tmp_path, 'a', [Q0, Q1, Q1], gts=[G0, None, G1])
    metric = build_metric(protocol='vspw', flow=None, vc_n=(2, ))
    with pytest.raises(ValueError, match='00001.png: no ground truth'):
        metric.process({}, [clip])
    metric = build_metric(
        protocol='vspw', flow=None, vc_n=(2, ), on_sparse_gt='skip')
    with pytest.warns(UserWarning, match='clip skipped'):
        metric.process({}, [clip])
    assert len(metric.results) == 1
    assert metric.results[0]['num_windows'].tolist() == [0]


def test_bad_input(tmp_path):
    metric = build_metric()
    clip = make_clip(tmp_path, 'a', [P0, P1], sizes=[(3, 3), (4, 3)])
    with pytest.raises(ValueError, match=r'00001.png: image size \(4, 3\)'):
        metric.process({}, [clip])
    clip = make_clip(tmp_path, 'b', [P0, [[0, 0, 3]] * 3])
    with pytest.raises(ValueError, match=r'00001.png: prediction values'):
        metric.process({}, [clip])
    metric = build_metric(protocol='vspw', flow=None, vc_n=(2, ))
    clip = make_clip(tmp_path, 'c', [P0, P1, P1], gts=[G0, G1, [[0, 0]]])
    with pytest.raises(ValueError, match='differs from its label size'):
        metric.process({}, [clip])
    with pytest.raises(TypeError, match='expects clips'):
        metric.process({}, [dict(pred_sem_seg=None)])


def test_num_classes_admits_extra_model_labels(tmp_path):
    """A 4th model output (e.g. ESPNet's "void") counts like a class."""
    clip = make_clip(tmp_path, 'a', [[[0, 3, 3]] * 3, [[0, 0, 3]] * 3])
    with pytest.raises(ValueError, match='prediction values'):
        build_metric().process({}, [clip])
    metric = TemporalConsistencyMetric(
        num_classes=4, flow=dict(type='ToyTCFlow', flows={}))
    metric.dataset_meta = dict(classes=['a', 'b', 'c'])
    metric.process({}, [clip])
    # zero flow: class 0 I=3 U=6, class 3 I=3 U=6 -> (0.5 + 0.5) / 2
    assert metric.results[0]['score_sum'] == pytest.approx(0.5)


@pytest.mark.parametrize('kwargs, match', [
    (dict(protocol='tps'), 'protocol'),
    (dict(protocol='ssp', warp_mode='cubic'), 'warp_mode'),
    (dict(protocol='vspw', warp_mode='nearest'), 'uses no flow'),
    (dict(protocol='vspw', flow=dict(type='ToyTCFlow', flows={})),
     'uses no flow'),
    (dict(protocol='vspw', vc_n=(1, 8)), 'vc_n'),
    (dict(protocol='vspw', on_sparse_gt='ignore'), 'on_sparse_gt'),
    (dict(protocol='ssp', flow_batch_size=0), 'flow_batch_size'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TemporalConsistencyMetric(**kwargs)


def test_registered_and_built_from_config():
    metric = METRICS.build(
        dict(type='TemporalConsistencyMetric', protocol='etc',
             warp_mode='bilinear', prefix='video'))
    assert metric.prefix == 'video' and metric.warp_mode == 'bilinear'
    assert metric.info['TC_flow'] == 'DISFlow(preset=medium)'


def test_dis_flow_end_to_end(tmp_path):
    """Default DIS flow on a textured frame shifted right by 3 pixels."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(
        rng.uniform(0, 255, (48, 80)).astype(np.float32), (0, 0), 1.5)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    frame0 = np.repeat(texture.astype(np.uint8)[..., None], 3, axis=2)
    frame1 = np.roll(frame0, 3, axis=1)
    pred0 = (np.arange(80)[None].repeat(48, 0) // 10) % 3
    pred1 = np.roll(pred0, 3, axis=1)
    clip = make_clip(tmp_path, 'a', [pred0, pred1])
    for i, frame in enumerate((frame0, frame1)):
        cv2.imwrite(frame_path(tmp_path, 'a', i), frame)
    metric = TemporalConsistencyMetric(protocol='etc', warp_mode='nearest')
    metric.dataset_meta = dict(classes=['a', 'b', 'c'])
    metric.process({}, [clip])
    result = metric.compute_metrics(metric.results)
    assert result['TC_flow'] == 'DISFlow(preset=medium)'
    # a perfect flow gives 100 except for the 3 columns that leave the frame
    assert result['TC'] > 90
    # the same maps without motion compensation score much lower
    still = TemporalConsistencyMetric(
        protocol='etc', flow=dict(type='ToyTCFlow', flows={}))
    still.dataset_meta = metric.dataset_meta
    still.process({}, [clip])
    assert still.compute_metrics(still.results)['TC'] < result['TC'] - 20


def test_no_warning_when_defined(tmp_path):
    metric = build_metric(protocol='vspw', flow=None, vc_n=(2, ))
    metric.process({}, [make_clip(tmp_path, 'a', [Q0, Q1, Q1],
                                  gts=[G0, G1, G1])])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        metric.compute_metrics(metric.results)


TOY_FLOW = dict(type='ToyTCFlow', flows={})


@pytest.mark.parametrize('protocol, metric_cls, kwargs', [
    ('ssp', SSPTemporalConsistencyMetric, dict(flow=TOY_FLOW)),
    ('etc', ETCTemporalConsistencyMetric, dict(flow=TOY_FLOW)),
    ('vspw', VSPWTemporalConsistencyMetric, dict(vc_n=(2, ))),
])
def test_entry_point_builds_the_protocol_class(protocol, metric_cls, kwargs):
    for metric in (TemporalConsistencyMetric(protocol=protocol, **kwargs),
                   METRICS.build(
                       dict(
                           type='TemporalConsistencyMetric',
                           protocol=protocol,
                           **kwargs))):
        assert type(metric) is metric_cls
        assert isinstance(metric, TemporalConsistencyMetric)
        assert isinstance(metric, BaseTemporalConsistencyMetric)
        assert metric.protocol == protocol
        assert metric.prefix == f'tc_{protocol}'
    direct = METRICS.build(dict(type=metric_cls.__name__, **kwargs))
    assert type(direct) is metric_cls
    assert isinstance(direct, TemporalConsistencyMetric)
    assert issubclass(metric_cls, TemporalConsistencyMetric)


def test_entry_point_ignores_arguments_of_other_protocols():
    metric = TemporalConsistencyMetric(
        protocol='ssp', flow=TOY_FLOW, vc_n=(4, ), on_sparse_gt='skip')
    assert type(metric) is SSPTemporalConsistencyMetric
    metric = TemporalConsistencyMetric(
        protocol='vspw', flow_batch_size=2, num_classes=3, ignore_index=0)
    assert type(metric) is VSPWTemporalConsistencyMetric
    # the protocol classes take only their own arguments
    with pytest.raises(TypeError):
        SSPTemporalConsistencyMetric(flow=TOY_FLOW, vc_n=(4, ))
    with pytest.raises(TypeError):
        VSPWTemporalConsistencyMetric(flow=TOY_FLOW)


@pytest.mark.parametrize('protocol, metric_cls, kwargs', [
    ('ssp', SSPTemporalConsistencyMetric, dict(flow_batch_size=2)),
    ('etc', ETCTemporalConsistencyMetric, dict(warp_mode='nearest')),
    ('vspw', VSPWTemporalConsistencyMetric, dict(vc_n=(2, 3))),
])
def test_protocol_class_equals_the_entry_point(tmp_path, protocol, metric_cls,
                                               kwargs):
    if protocol != 'vspw':
        kwargs = dict(
            kwargs,
            flow=dict(
                type='ToyTCFlow',
                flows={frame_path(tmp_path, 'a', 0): example_flow()}))
    clips = [
        make_clip(tmp_path, 'a', [P0, P1, P1, Q0], gts=[G0, G1, G1, G1]),
        make_clip(tmp_path, 'b', [Q0, Q1, Q1], gts=[G0, G1, G0]),
    ]
    metrics = [
        TemporalConsistencyMetric(protocol=protocol, **kwargs),
        metric_cls(**kwargs)
    ]
    for metric in metrics:
        metric.dataset_meta = dict(classes=['c0', 'c1', 'c2'])
        metric.process({}, clips)
    entry, direct = metrics
    assert len(entry.results) == len(direct.results) == 2
    for old, new in zip(entry.results, direct.results):
        assert old.keys() == new.keys()
        for key in old:
            np.testing.assert_array_equal(old[key], new[key])
    assert entry.compute_metrics(entry.results) == direct.compute_metrics(
        direct.results)
