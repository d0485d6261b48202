# Copyright (c) mmvseg contributors. All rights reserved.
"""DAVIS J&F: hand-made values, the metric's rules, and the real fixture."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmvseg.datasets.davis import davis_palette
from mmvseg.evaluation.functional import (boundary_map, boundary_tolerance,
                                          contour_accuracy,
                                          format_davis_tables,
                                          frame_statistics, region_similarity,
                                          score_video)
from mmvseg.evaluation.metrics import DAVISMetric
from mmvseg.registry import METRICS
from mmvseg.structures import VideoSegDataSample
from mmvseg.utils import read_indexed_png

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DAVIS2016 = osp.join(osp.dirname(REPO), 'shared', 'data', 'davis2016')


def square(top, left, size=5, shape=(20, 20)):
    mask = np.zeros(shape, bool)
    mask[top:top + size, left:left + size] = True
    return mask


def make_clip(video_id, gts, preds, frame_ids=None, as_dict=True, **meta):
    """A whole video as the Evaluator hands it to a metric; a None
    prediction leaves ``pred_sem_seg`` out."""
    frames = []
    for t, (gt, pred) in enumerate(zip(gts, preds)):
        frame = SegDataSample(
            metainfo=dict(
                video_id=video_id,
                frame_id=t if frame_ids is None else frame_ids[t],
                frame_index=t,
                video_length=len(gts),
                img_path=f'{video_id}/{t:05d}.jpg',
                **meta))
        frame.gt_sem_seg = PixelData(
            data=torch.as_tensor(np.asarray(gt))[None])
        if pred is not None:
            frame.pred_sem_seg = PixelData(
                data=torch.as_tensor(np.asarray(pred))[None])
        frames.append(frame)
    clip = VideoSegDataSample()
    clip.video_data_samples = frames
    return clip.to_dict() if as_dict else clip


# --------------------------------------------------------------------- J


def test_region_similarity_tiny_masks():
    gt = np.zeros((3, 4, 4), np.uint8)
    pred = np.zeros((3, 4, 4), np.uint8)
    gt[0, :2, :2] = 1  # 4 pixels
    pred[0, 1:3, 1:3] = 1  # 4 pixels, 1 shared: 1 / 7
    gt[1, 0, 0] = 5  # any non-zero value is the object
    pred[1, 0, 0] = 1
    # frame 2: both empty -> 1
    j = region_similarity(gt, pred)
    assert j.dtype == np.float64 and j.shape == (3, )
    np.testing.assert_array_equal(j, [1 / 7, 1.0, 1.0])
    assert region_similarity(gt[0], np.zeros((4, 4))) == 0.0
    assert region_similarity(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    with pytest.raises(ValueError, match='shape'):
        region_similarity(gt, pred[:, :3])


# --------------------------------------------------------------------- F


def test_boundary_map_hand_made():
    seg = np.zeros((5, 5), bool)
    seg[1:3, 1:3] = True
    # pixels whose 2x2 block (right, below, below-right) is not uniform
    expected = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 0, 0], [1, 1, 1, 0, 0],
                         [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], bool)
    np.testing.assert_array_equal(boundary_map(seg), expected)
    # no boundary along the image edge: a mask on the last column gives
    # only the change from column 1 to 2; a full image gives none
    edge = np.zeros((3, 3), bool)
    edge[:, 2] = True
    np.testing.assert_array_equal(
        boundary_map(edge), [[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    assert not boundary_map(np.ones((4, 6))).any()
    stack = np.stack([seg, np.zeros_like(seg)])
    np.testing.assert_array_equal(boundary_map(stack)[0], expected)


def _slow_boundary_map(seg):
    """``_seg2bmap`` of davis2017-evaluation ``davis2017/metrics.py``, pixel
    by pixel."""
    h, w = seg.shape

    def at(y, x):
        return bool(seg[y, x]) if y < h and x < w else False

    bmap = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            s = at(y, x)
            if y == h - 1 and x == w - 1:
                bmap[y, x] = False
            elif y == h - 1:
                bmap[y, x] = s != at(y, x + 1)
            elif x == w - 1:
                bmap[y, x] = s != at(y + 1, x)
            else:
                bmap[y, x] = (s != at(y, x + 1) or s != at(y + 1, x)
                              or s != at(y + 1, x + 1))
    return bmap


def test_boundary_map_matches_the_rules_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(5):
        seg = rng.random((6, 7)) < 0.5
        np.testing.assert_array_equal(boundary_map(seg),
                                      _slow_boundary_map(seg))


@pytest.mark.parametrize('hw, bound_th, radius', [
    ((480, 854), 0.008, 8.0),
    ((1080, 1920), 0.008, 18.0),
    ((480, 910), 0.008, 9.0),
    ((480, 1152), 0.008, 10.0),
    ((20, 20), 0.008, 1.0),
    ((480, 854), 3, 3.0),
])
def test_boundary_tolerance(hw, bound_th, radius):
    assert boundary_tolerance(hw, bound_th) == radius


def test_contour_accuracy_square_vs_shifted_square():
    gt = square(5, 5)
    shifted = square(5, 7)  # 2 px to the right
    # boundaries are 20-pixel rings; with a radius of 1 px, 12 of 20 pixels
    # of each ring lie within the other dilated ring: P = R = 0.6
    assert contour_accuracy(gt, shifted, bound_th=1) == pytest.approx(
        0.6, abs=1e-15)
    # 20x20: ceil(0.008 * 28.28) = 1 px as well
    assert contour_accuracy(gt, shifted) == pytest.approx(0.6, abs=1e-15)
    # with 2 px every ring pixel is matched
    assert contour_accuracy(gt, shifted, bound_th=2) == 1.0
    far = square(14, 14)
    f = contour_accuracy(
        np.stack([gt, gt, gt]), np.stack([shifted, gt, far]), bound_th=1)
    assert f.shape == (3, )
    np.testing.assert_allclose(f, [0.6, 1.0, 0.0], atol=1e-15)


def test_contour_accuracy_empty_boundaries():
    empty = np.zeros((20, 20), bool)
    full = np.ones((20, 20), bool)  # touches every edge: no boundary
    obj = square(5, 5)
    assert contour_accuracy(empty, empty) == 1.0
    assert contour_accuracy(full, empty) == 1.0
    assert contour_accuracy(obj, empty) == 0.0  # P = 1, R = 0
    assert contour_accuracy(empty, obj) == 0.0  # P = 0, R = 1
    with pytest.raises(ValueError, match='shape'):
        contour_accuracy(obj, obj[:10])
    with pytest.raises(ValueError, match='bound_th'):
        contour_accuracy(obj, obj, bound_th=-1)


# ------------------------------------------------------------ statistics


def test_frame_statistics_hand_made():
    # n = 4: edges 0, 1, 2, 2, 3 -> first bin frames 0..1, last bin 2..3
    assert frame_statistics([0.9, 0.7, 0.5, 0.1]) == pytest.approx(
        (0.55, 0.5, 0.8 - 0.3), abs=1e-15)
    # n = 7: linspace gives 2.5, which rounds **up** (edges 0, 2, 3, 5, 6):
    # first bin frames 0..2, last bin 5..6; recall is strictly > 0.5
    values = [1.0, 0.8, 0.6, 0.5, 0.4, 0.2, 0.0]
    assert frame_statistics(values) == pytest.approx(
        (0.5, 3 / 7, 0.8 - 0.1), abs=1e-15)
    # n = 38: edges 0, 9, 19, 28, 37; first bin 0..9, last bin 28..37
    mean, recall, decay = frame_statistics(np.arange(38.0))
    assert decay == 4.5 - 32.5 and mean == 18.5 and recall == 37 / 38
    assert frame_statistics([0.7]) == (0.7, 1.0, 0.0)
    # NaN: left out of the means, a miss for the recall
    assert frame_statistics([np.nan, 1.0, 0.2, 0.8]) == pytest.approx(
        (2.0 / 3, 0.5, 1.0 - 0.5), abs=1e-15)
    with pytest.raises(ValueError, match='non-empty 1-D'):
        frame_statistics([])
    with pytest.raises(ValueError, match='non-empty 1-D'):
        frame_statistics(np.zeros((2, 2)))


# ----------------------------------------------------------- score_video


def video_frames():
    """5 frames of 20x20: GT objects 1 and 3 in frame 0 (so N = 3, object 2
    is empty), void 255 next to object 1, id 4 in frame 2 (not an
    object)."""
    gt = np.zeros((5, 20, 20), np.int64)
    gt[:, 2:7, 2:7] = 1
    gt[:, 12:17, 12:17] = 3
    gt[:, 2:7, 7:9] = 255
    gt[2, 0, 15:20] = 4
    pred = gt.copy()
    pred[pred >= 4] = 0
    return gt, pred


def test_score_video_objects_void_and_scored_frames():
    gt, pred = video_frames()
    pred[1][gt[1] == 255] = 1  # object 1 over the void band: 10 false pos.
    pred[3][gt[3] == 3] = 0  # object 3 missed in frame 3
    pred[0] = pred[-1] = 9  # first and last frames are not scored
    scores = score_video(list(gt), list(pred))
    assert scores['object_ids'].tolist() == [1, 2, 3]
    assert scores['J'].shape == scores['F'].shape == (3, 3)
    np.testing.assert_array_equal(scores['J'][0], [25 / 35, 1, 1])
    np.testing.assert_array_equal(scores['J'][1], [1, 1, 1])  # empty object
    np.testing.assert_array_equal(scores['J'][2], [1, 1, 0])
    np.testing.assert_array_equal(scores['F'][1], [1, 1, 1])
    np.testing.assert_array_equal(scores['F'][2], [1, 1, 0])
    assert scores['F'][0, 0] < 1 and scores['F'][0, 1] == 1
    # predictions of the first/last frame may be missing
    again = score_video(list(gt), [None] + list(pred[1:-1]) + [None])
    np.testing.assert_array_equal(again['J'], scores['J'])


def test_score_video_binary_gt():
    gt = np.zeros((3, 20, 20), np.uint8)
    gt[:, 5:10, 5:10] = 255  # DAVIS-2016: 255 = the object
    pred = (gt > 0).astype(np.uint8)
    scores = score_video(list(gt), list(pred), binary_gt=True)
    assert scores['object_ids'].tolist() == [1]
    assert scores['J'].tolist() == [[1.0]] and scores['F'].tolist() == [[1.0]]
    # read as DAVIS-2017, 255 is void: no object, and id 1 is too high
    with pytest.raises(ValueError, match='binary_gt=True'):
        score_video(list(gt), list(pred))


def test_score_video_errors():
    gt, pred = video_frames()
    pred[2, 0, 0] = 4
    with pytest.raises(ValueError, match='frame 2: prediction holds object '
                       'id 4.*3 objects'):
        score_video(list(gt), list(pred))
    pred[2, 0, 0] = 255
    with pytest.raises(ValueError, match='ids 0/1'):
        score_video(list(gt), list(pred))
    gt, pred = video_frames()
    with pytest.raises(ValueError, match='frame 1: no prediction'):
        score_video(list(gt), [pred[0], None] + list(pred[2:]))
    with pytest.raises(ValueError, match='frame 3: prediction size'):
        score_video(list(gt), list(pred[:3]) + [pred[3, :10]] + [pred[4]])
    with pytest.raises(ValueError, match='frame 2: ground-truth size'):
        score_video(list(gt[:2]) + [gt[2, :10]] + list(gt[3:]), list(pred))
    with pytest.raises(ValueError, match='at least 3 frames'):
        score_video(list(gt[:2]), list(pred[:2]))
    with pytest.raises(ValueError, match='max_objects=2'):
        score_video(list(gt), list(pred), max_objects=2)
    with pytest.raises(ValueError, match='negative prediction'):
        score_video(list(gt), list(pred[:2]) + [-pred[2]] + list(pred[3:]))


# ---------------------------------------------------------------- metric


def test_palette_is_the_davis_one():
    palette = davis_palette()
    assert palette.shape == (256, 3) and palette.dtype == np.uint8
    assert palette[:6].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0],
                                    [128, 128, 0], [0, 0, 128],
                                    [128, 0, 128]]
    assert palette[255].tolist() == [224, 224, 192]


def test_one_entry_per_video_and_object_means():
    gt, pred = video_frames()
    pred[1][gt[1] == 3] = 0  # object 3 missed in frame 1 of video a
    one = np.zeros((4, 20, 20), np.int64)
    one[:, 3:8, 3:8] = 1
    metric = METRICS.build(dict(type='DAVISMetric'))
    assert isinstance(metric, DAVISMetric) and metric.prefix == 'davis'
    metric.process({}, [make_clip('a', gt, pred), make_clip('b', one, one)])
    assert len(metric.results) == 2  # one entry per video, not per frame
    entry = metric.results[0]
    assert entry['video_id'] == 'a'
    assert entry['frame_ids'] == ['00001', '00002', '00003']
    assert entry['object_ids'].tolist() == [1, 2, 3]
    assert entry['J'].shape == entry['F'].shape == (3, 3)
    assert metric.results[1]['J'].shape == (1, 2)

    summary = metric.summarize(metric.results)
    assert list(summary['per_object']) == ['a_1', 'a_2', 'a_3', 'b_1']
    a3 = summary['per_object']['a_3']
    # n = 3: edges 0, 1, 1, 2, 2 -> decay = mean(frames 0..1) - frame 2
    assert a3 == dict(J=2 / 3, F=2 / 3, **{
        'J-Recall': 2 / 3,
        'J-Decay': 0.5 - 1,
        'F-Recall': 2 / 3,
        'F-Decay': 0.5 - 1
    })
    # means over the 4 objects, not over the 2 videos
    assert summary['J-Mean'] == pytest.approx((3 + 2 / 3) / 4, abs=1e-15)
    assert summary['J-Decay'] == pytest.approx(-0.5 / 4, abs=1e-15)
    assert summary['J&F-Mean'] == pytest.approx((3 + 2 / 3) / 4, abs=1e-15)

    metrics = metric.compute_metrics(metric.results)
    assert list(metrics) == [
        'J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall',
        'F-Decay'
    ]
    assert metrics['J&F-Mean'] == 91.67 and metrics['J-Decay'] == -12.5
    table = format_davis_tables(summary, 'val')
    assert 'Global results for val' in table and 'a_3 0.666667' in table


def test_evaluator_hands_whole_videos_to_the_metric():
    """Evaluator.process -> to_dict keeps the frames; evaluate(size) with
    size = number of videos keeps every entry."""
    one = np.zeros((3, 8, 8), np.int64)
    one[:, 2:5, 2:5] = 1
    empty = np.zeros_like(one)
    evaluator = Evaluator(dict(type='DAVISMetric'))
    evaluator.process([
        make_clip('a', one, one, as_dict=False),
        make_clip('b', one, empty, as_dict=False)
    ])
    metrics = evaluator.evaluate(2)
    assert metrics['davis/J-Mean'] == 50.0
    assert metrics['davis/J&F-Mean'] == 50.0


def test_whole_video_and_id_checks():
    one = np.zeros((3, 8, 8), np.int64)
    metric = DAVISMetric()
    with pytest.raises(ValueError, match='at least 3 frames'):
        metric.process({}, [make_clip('a', one[:2], one[:2])])
    clip = make_clip('a', one, one)
    clip['video_data_samples'][1].set_metainfo(dict(video_length=5))
    with pytest.raises(ValueError, match='whole video'):
        metric.process({}, [clip])
    clip = make_clip('a', one, one)
    clip['video_data_samples'].reverse()
    with pytest.raises(ValueError, match='in order'):
        metric.process({}, [clip])
    clip = make_clip('a', one, one)
    clip['video_data_samples'][2].set_metainfo(dict(video_id='b'))
    with pytest.raises(ValueError, match='video_id'):
        metric.process({}, [clip])
    clip = make_clip('a', one, one)
    del clip['video_data_samples'][1].gt_sem_seg
    with pytest.raises(ValueError, match='a frame 00001.*no gt_sem_seg'):
        metric.process({}, [clip])
    clip = make_clip('a', one, one)
    clip['video_data_samples'][1].pred_sem_seg = PixelData(
        data=torch.full((1, 8, 8), 2))
    with pytest.raises(ValueError, match=r'a frame 00001 \(a/00001.jpg\): '
                       'prediction holds object id 2'):
        metric.process({}, [clip])
    assert metric.results == []
    metric.process({}, [make_clip('a', one, one)] * 2)
    with pytest.raises(ValueError, match='video a was scored twice'):
        metric.summarize(metric.results)


def test_no_object_gives_nan_and_a_warning():
    empty = np.zeros((3, 8, 8), np.int64)
    metric = DAVISMetric()
    metric.process({}, [make_clip('a', empty, empty)])
    assert metric.results[0]['J'].shape == (0, 1)
    with pytest.warns(UserWarning, match='no object'):
        metrics = metric.compute_metrics(metric.results)
    assert np.isnan(metrics['J&F-Mean'])


def test_output_dir_round_trip(tmp_path):
    gt, pred = video_frames()
    out = str(tmp_path / 'results')
    metric = DAVISMetric(output_dir=out)
    frame_ids = [10, 11, 12, 13, 14]
    preds = [None] + list(pred[1:])  # the first frame has no prediction
    metric.process({}, [make_clip('vid', gt, preds, frame_ids)])
    assert sorted(os.listdir(osp.join(out, 'vid'))) == [
        '00011.png', '00012.png', '00013.png', '00014.png'
    ]
    for t in range(1, 5):
        path = osp.join(out, 'vid', f'{frame_ids[t]:05d}.png')
        with Image.open(path) as img:
            assert img.mode == 'P'
            palette = np.array(img.getpalette()).reshape(-1, 3)
        np.testing.assert_array_equal(palette, davis_palette())
        np.testing.assert_array_equal(read_indexed_png(path), pred[t])


# --------------------------------------------------------- real fixture


def test_metric_reproduces_the_official_per_frame_values():
    """car-shadow (40 frames) against the official per-frame J and F."""
    if not osp.isdir(DAVIS2016):
        pytest.skip(f'{DAVIS2016} absent: needs ../shared')
    with open(osp.join(DAVIS2016, 'osvos_reference_jf.json')) as f:
        reference = json.load(f)
    folder = osp.join(DAVIS2016, 'Annotations', '480p', 'car-shadow')
    names = sorted(os.listdir(folder))
    gts = [read_indexed_png(osp.join(folder, n)) for n in names]
    preds = [
        read_indexed_png(
            osp.join(DAVIS2016, 'osvos_davis2017_results', 'car-shadow', n))
        for n in names
    ]
    metric = DAVISMetric(binary_gt=True)
    metric.process({}, [make_clip('car-shadow', gts, preds)])
    expected = reference['per_frame']['car-shadow_1']
    entry = metric.results[0]
    assert entry['frame_ids'] == expected['frames']
    np.testing.assert_array_equal(entry['J'][0], expected['J'])
    np.testing.assert_array_equal(entry['F'][0], expected['F'])
    per_object = metric.summarize(metric.results)['per_object']
    for key, value in reference['per_object']['car-shadow_1'].items():
        assert per_object['car-shadow_1'][key] == pytest.approx(value,
                                                                abs=1e-12)
