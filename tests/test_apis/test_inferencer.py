# Copyright (c) mmvseg contributors. All rights reserved.
"""``VideoSegInferencer`` and ``inference_video`` on the generated demo pan:
streamed frames give exactly the predictions of ``tools/test.py``'s path
(the test dataset item through ``model.test_step``), from a folder, an mp4
and arrays; the recurrent state is carried; bad input is named."""
import gc
import json
import os
import os.path as osp
import shutil
import weakref

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from video_files import pan_frames, truncate_file, write_video

from mmvseg.apis import (FrameDecodeError, VideoSegInferencer,
                         inference_video, init_model, load_config)
from mmvseg.registry import DATASETS
from mmvseg.utils import list_images, read_indexed_png, read_label

CONFIG_NAME = 'mmvseg::ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py'


@pytest.fixture(scope='module')
def inferencer(demo_checkpoint):
    return VideoSegInferencer(
        CONFIG_NAME, demo_checkpoint, device='cpu', show_progress=False)


@pytest.fixture(scope='module')
def reference(inferencer, demo_data):
    """Per-frame (labels, logits) of the val clip as ``tools/test.py``
    computes them: the config's test dataset item -> ``model.test_step``."""
    cfg = inferencer.cfg.test_dataloader.dataset.copy()
    cfg.data_root = demo_data
    dataset = DATASETS.build(cfg)
    assert len(dataset) == 1  # one 16-frame clip
    model = inferencer.model
    model.keep_seg_logits = True
    try:
        with torch.no_grad():
            clip = model.test_step(pseudo_collate([dataset[0]]))[0]
    finally:
        model.keep_seg_logits = False
    return [(frame.pred_sem_seg.data[0].numpy(), frame.seg_logits.data)
            for frame in clip.video_data_samples]


def val_frames(demo_data):
    return list_images(osp.join(demo_data, 'val'))


def assert_same(predictions, reference, logits=True):
    assert len(predictions) == len(reference)
    for pred, (labels, seg_logits) in zip(predictions, reference):
        np.testing.assert_array_equal(pred['sem_seg'], labels)
        if logits:
            assert torch.equal(torch.from_numpy(pred['seg_logits']),
                               seg_logits)


def test_folder_equals_the_test_path(inferencer, demo_data, reference):
    result = inferencer(
        osp.join(demo_data, 'val'), return_preds=True, return_logits=True)
    assert_same(result['predictions'], reference)
    names = [osp.splitext(osp.basename(p))[0] for p in val_frames(demo_data)]
    assert [p['name'] for p in result['predictions']] == names
    assert [p['index'] for p in result['predictions']] == list(range(16))
    assert result['predictions'][0]['sem_seg'].dtype == np.int64


def test_lossless_mp4_equals_the_test_path(inferencer, demo_data, reference,
                                           tmp_path):
    frames = [cv2.imread(p) for p in val_frames(demo_data)]
    path = write_video(str(tmp_path / 'val.mp4'), frames, 'FFV1', fps=15)
    result = inferencer(path, return_preds=True, return_logits=True)
    assert_same(result['predictions'], reference)
    assert result['summary']['fps_in'] == 15
    assert result['summary']['clip'] == 'val'


@pytest.mark.parametrize('kind', ['list', 'generator'])
def test_arrays_equal_the_test_path(inferencer, demo_data, reference, kind):
    frames = [cv2.imread(p) for p in val_frames(demo_data)]
    given = frames if kind == 'list' else (f for f in frames)
    result = inferencer(given, return_preds=True)
    assert_same(result['predictions'], reference, logits=False)


def test_the_state_is_carried_from_frame_to_frame(inferencer, demo_data,
                                                  reference):
    """Each frame segmented as a video of its own (state reset) differs from
    the stream after frame 0: the stream carries SSP's recurrence."""
    frames = [cv2.imread(p) for p in val_frames(demo_data)]
    alone = [
        inferencer([f], return_preds=True,
                   return_logits=True)['predictions'][0]['seg_logits']
        for f in frames[:4]
    ]
    assert np.array_equal(alone[0], reference[0][1].numpy())
    for t in (1, 2, 3):
        assert not np.allclose(alone[t], reference[t][1].numpy(), atol=1e-4)


def test_inference_video_functional(demo_checkpoint, demo_data, reference):
    model = init_model(CONFIG_NAME, demo_checkpoint)
    samples = inference_video(model, osp.join(demo_data, 'val'),
                              return_logits=True)
    assert not isinstance(samples, list)  # lazy
    samples = list(samples)
    assert [s.frame_index for s in samples] == list(range(16))
    assert samples[0].img_path == val_frames(demo_data)[0]
    for sample, (labels, logits) in zip(samples, reference):
        np.testing.assert_array_equal(sample.pred_sem_seg.data[0].numpy(),
                                      labels)
        assert torch.equal(sample.seg_logits.data, logits)
    # every / max_frames
    picked = list(inference_video(model, osp.join(demo_data, 'val'),
                                  every=5, max_frames=3))
    assert [s.frame_index for s in picked] == [0, 5, 10]


def test_writers_and_summary(inferencer, demo_data, reference, tmp_path):
    out = tmp_path / 'out'
    result = inferencer(
        osp.join(demo_data, 'val'),
        out_video=str(out / 'val.mp4'),
        png_dir=str(out / 'pngs'),
        summary_json=str(out / 'val.json'))
    assert result['predictions'] == []  # not held unless asked for
    summary = json.load(open(out / 'val.json'))
    assert summary == json.loads(json.dumps(result['summary']))
    assert summary['frames'] == 16 and summary['skipped'] == []
    assert summary['model'] == 'SSP' and summary['frame_size'] == [96, 128]
    assert summary['fps_in'] is None and summary['fps_out'] > 0
    ms = summary['ms_per_frame']
    assert ms['total'] > ms['image_model'] > 0
    assert ms['video_overhead'] == pytest.approx(
        ms['total'] - ms['image_model'], abs=1e-2)
    assert summary['peak_rss_mib'] > 0
    assert summary['outputs'] == dict(
        video=str(out / 'val.mp4'), pngs=str(out / 'pngs' / 'val'),
        summary=str(out / 'val.json'))
    # PNGs: one per frame, named as the frames, palette PNGs of the ids
    pngs = list_images(str(out / 'pngs' / 'val'))
    assert [osp.basename(p) for p in pngs] == [
        osp.basename(p) for p in val_frames(demo_data)]
    for path, (labels, _) in zip(pngs, reference):
        np.testing.assert_array_equal(read_indexed_png(path), labels)
    # the overlay video: 16 frames at the default 15 fps, legend below
    capture = cv2.VideoCapture(str(out / 'val.mp4'))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 16
    assert capture.get(cv2.CAP_PROP_FPS) == 15
    assert capture.get(cv2.CAP_PROP_FRAME_HEIGHT) > 96
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 128


def test_gray_pngs_for_eval_tc(inferencer, demo_data, reference, tmp_path):
    inferencer(osp.join(demo_data, 'val'), png_dir=str(tmp_path),
               png_mode='gray', max_frames=3)
    pngs = list_images(str(tmp_path / 'val'))
    assert len(pngs) == 3
    np.testing.assert_array_equal(read_label(pngs[2]), reference[2][0])


def test_stream_yields_one_frame_at_a_time(inferencer, demo_data):
    frames = [cv2.imread(p) for p in val_frames(demo_data)]
    pulled = []

    def source():
        for t, frame in enumerate(frames):
            pulled.append(t)
            yield frame

    inferencer.prefetch = 0  # no read-ahead thread: exact pull count
    try:
        for t, result in enumerate(inferencer.stream(source())):
            assert result['index'] == t
            assert len(pulled) == t + 1
    finally:
        inferencer.prefetch = 2
    assert inferencer.summary['frames'] == 16


def corrupt_clip(demo_data, tmp_path, index=7):
    folder = tmp_path / 'val'
    shutil.copytree(osp.join(demo_data, 'val'), folder)
    paths = list_images(str(folder))
    truncate_file(paths[index])
    return str(folder), paths[index]


def test_a_corrupt_frame_is_reported_and_the_run_goes_on(
        inferencer, demo_data, reference, tmp_path, capsys):
    folder, bad = corrupt_clip(demo_data, tmp_path)
    result = inferencer(folder, return_preds=True,
                        summary_json=str(tmp_path / 's.json'))
    predictions = result['predictions']
    assert [p['index'] for p in predictions] == [
        t for t in range(16) if t != 7]
    skipped = result['summary']['skipped']
    assert len(skipped) == 1 and skipped[0]['index'] == 7
    assert skipped[0]['name'] == osp.splitext(osp.basename(bad))[0]
    assert bad in skipped[0]['error']
    assert json.load(open(tmp_path / 's.json'))['skipped'] == skipped
    # frames before the corrupt one are untouched
    assert_same(predictions[:7], reference[:7], logits=False)


def test_a_corrupt_frame_stops_a_strict_run(inferencer, demo_data, tmp_path):
    folder, bad = corrupt_clip(demo_data, tmp_path)
    with pytest.raises(FrameDecodeError,
                       match=f'frame 7 \\({bad}\\): .*truncated') as error:
        inferencer(folder, strict=True, png_dir=str(tmp_path / 'pngs'))
    assert error.value.index == 7 and error.value.path == bad
    # the frames before it were written
    assert len(os.listdir(tmp_path / 'pngs' / 'val')) == 7


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(batch_size=2), ValueError, 'batch_size must be 1'),
    (dict(colour=1), ValueError, 'unknown argument'),
    (dict(first_mask='m.png'), ValueError, 'first_mask is for label'),
    (dict(png_mode='rgb', png_dir='x'), ValueError, 'png_mode must be'),
    (dict(every=0), ValueError, 'every must be an int >= 1'),
])
def test_bad_arguments(inferencer, demo_data, kwargs, error, match):
    if 'first_mask' in kwargs:
        kwargs['first_mask'] = osp.join(demo_data, 'valannot',
                                        'DemoV_000000.png')
    with pytest.raises(error, match=match):
        inferencer(osp.join(demo_data, 'val'), **kwargs)


def test_bad_sources_are_named(inferencer, tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere: no such video'):
        inferencer(str(tmp_path / 'nowhere'))
    (tmp_path / 'a.avi').write_bytes(b'\x00' * 100)
    with pytest.raises(ValueError, match='a.avi: not a video'):
        inferencer(str(tmp_path / 'a.avi'))


def test_config_and_checkpoint_errors(demo_checkpoint, tmp_path):
    with pytest.raises(FileNotFoundError, match='none.py: config file not'):
        VideoSegInferencer(str(tmp_path / 'none.py'), demo_checkpoint)
    with pytest.raises(FileNotFoundError,
                       match='mmvseg::ssp/none.py: no config ssp/none.py'):
        VideoSegInferencer('mmvseg::ssp/none.py', demo_checkpoint)
    with pytest.raises(FileNotFoundError, match='none.pth'):
        VideoSegInferencer(CONFIG_NAME, str(tmp_path / 'none.pth'))
    image_cfg = load_config('mmseg::_base_/models/fcn_r50-d8.py')
    image_cfg.test_dataloader = load_config(CONFIG_NAME).test_dataloader
    image_cfg.model.backbone.depth = 18
    image_cfg.model.pop('pretrained')
    with pytest.raises(TypeError, match='needs a video segmentor .*'
                       'MMSegInferencer'):
        VideoSegInferencer(image_cfg)


def test_class_names_and_palette(inferencer, demo_checkpoint):
    # CamVid's 11 classes + the image model's 12th output
    meta = inferencer.model.dataset_meta
    assert meta['classes'][:2] == ['Sky', 'Building']
    assert meta['classes'][11] == 'class 11'
    assert len(meta['palette']) == 12
    custom = VideoSegInferencer(
        CONFIG_NAME, demo_checkpoint, classes=[str(i) for i in range(12)],
        palette=[[i, i, i] for i in range(12)], show_progress=False)
    assert custom.model.dataset_meta['palette'][3] == [3, 3, 3]


@pytest.mark.parametrize('config', [
    'espnet/espnet_p2-q8_camvid-360x480.py',
    'ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
    'dff/dff_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
    'netwarp/netwarp_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
    'tcb/tcb-ocr_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
    'tcb/tcb-ppm_espnet-p2-q8_1xb4-2k_camvid-360x480.py',
])
def test_every_video_segmentor_streams_as_its_test_path(config, demo_data):
    """Each CamVid config (seeded weights) on the first 6 frames of the pan,
    at the pan's size: streamed predictions equal the test item's."""
    cfg = load_config('mmvseg::' + config)
    broadcaster = cfg.test_dataloader.dataset.pipeline[1]
    resize, = [t for t in broadcaster.transforms if t.type == 'Resize']
    resize.scale = (128, 96)
    cfg.test_dataloader.dataset.update(data_root=demo_data, clip_len=6)
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='Checkpoint is not loaded'):
        inferencer = VideoSegInferencer(cfg, show_progress=False)
    with torch.no_grad():
        clip = inferencer.model.test_step(
            pseudo_collate([DATASETS.build(cfg.test_dataloader.dataset)[0]
                            ]))[0]
    result = inferencer(
        osp.join(demo_data, 'val'), max_frames=6, return_preds=True)
    assert len(result['predictions']) == 6
    for pred, frame in zip(result['predictions'], clip.video_data_samples):
        np.testing.assert_array_equal(pred['sem_seg'],
                                      frame.pred_sem_seg.data[0].numpy())


def test_a_segmentor_that_cannot_stream_is_named(demo_checkpoint, demo_data):
    """``predict_clip`` reaching for ``frames.shape`` gets a TypeError that
    says to iterate ``self.iter_frames``."""
    inferencer = VideoSegInferencer(CONFIG_NAME, demo_checkpoint,
                                    show_progress=False)
    model = inferencer.model

    def tensor_only(frames, frame_samples):
        for t in range(frames.shape[0]):
            yield model.encode_decode(frames[t:t + 1], [])

    model.predict_clip = tensor_only
    try:
        with pytest.raises(TypeError, match='SSP.predict_clip indexes its '
                           'frames .* iterate self.iter_frames'):
            inferencer(osp.join(demo_data, 'val'))
    finally:
        del model.predict_clip


def test_a_long_stream_holds_a_few_frames(inferencer, tmp_path):
    """Frames are released as they are written: a stream of 70 frames holds
    at most the read-ahead, the writer queue and the frame in the model
    (the memory does not grow with the video; the 1,000-frame measurement
    is in tools/analysis_tools/benchmark_video_inference.py)."""
    refs = []  # numpy arrays are weak-referenceable, not hashable
    frames = pan_frames(70, 96, 128, step=2)

    def source():
        for frame in frames:
            copy = frame.copy()
            refs.append(weakref.ref(copy))
            yield copy

    held = []
    for t, result in enumerate(
            inferencer.stream(source(), png_dir=str(tmp_path),
                              out_video=str(tmp_path / 'o.mp4'))):
        del result
        if t % 10 == 9:  # a full collection is slow: every 10 frames
            gc.collect()
            held.append(sum(ref() is not None for ref in refs))
    assert t == 69 and len(held) == 7
    assert max(held) <= 2 + 4 + 3  # read-ahead, writer queue, in flight


def test_visualize_is_the_overlay_video_frame(inferencer):
    """``visualize`` draws what the overlay video shows: the blended frame
    with the legend of every class below."""
    from mmvseg.apis import VideoFrame, compose_frame, draw_legend
    image = pan_frames(1, 96, 128)[0]
    labels = np.tile(np.arange(12).repeat(11)[:128], (96, 1))
    drawn, = inferencer.visualize([VideoFrame(0, '00000', image)], [labels],
                                  opacity=0.6)
    meta = inferencer.model.dataset_meta
    legend, boxes = draw_legend(meta['classes'], meta['palette'], 128)
    assert sorted(boxes) == list(range(12))
    np.testing.assert_array_equal(
        drawn, compose_frame(image, labels, meta['palette'], 0.6, legend))
