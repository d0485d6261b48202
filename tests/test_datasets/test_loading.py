# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Resize

from mmvseg.datasets import LoadFrameFromFile, LoadVideoAnnotations


def _frame(img_path, seg_map_path=None, **kwargs):
    frame = dict(
        img_path=img_path,
        seg_map_path=seg_map_path,
        label_map=None,
        reduce_zero_label=False,
        seg_fields=[],
        num_classes=3)
    frame.update(kwargs)
    return frame


@pytest.fixture
def pair(tmp_path, write_png):
    """A (6, 8) image and its label with values 0..2 and 255."""
    img = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    label = (np.arange(48).reshape(6, 8) % 3).astype(np.uint8)
    label[0, 0] = 255
    return (write_png(str(tmp_path / 'img.png'), img),
            write_png(str(tmp_path / 'ann.png'), label), img, label)


def _load(frame, **kwargs):
    return LoadVideoAnnotations(**kwargs)(LoadFrameFromFile()(frame))


def test_load_frame_and_label(pair):
    img_path, ann_path, img, label = pair
    results = _load(_frame(img_path, ann_path))
    np.testing.assert_array_equal(results['img'], img)
    assert results['img_shape'] == results['ori_shape'] == (6, 8)
    assert results['gt_seg_map'].dtype == np.uint8
    np.testing.assert_array_equal(results['gt_seg_map'], label)
    assert results['seg_fields'] == ['gt_seg_map']
    float_img = LoadFrameFromFile(to_float32=True)(_frame(img_path))['img']
    assert float_img.dtype == np.float32
    assert 'LoadFrameFromFile' in repr(LoadFrameFromFile())
    assert repr(LoadVideoAnnotations()) == (
        'LoadVideoAnnotations(reduce_zero_label=None, ignore_index=255)')


def test_unlabelled_frame_gets_ignore_placeholder(pair):
    results = _load(_frame(pair[0], None))
    assert results['gt_seg_map'].shape == (6, 8)
    assert (results['gt_seg_map'] == 255).all()
    assert results['seg_fields'] == ['gt_seg_map']


def test_label_map_and_reduce_zero_label(tmp_path, write_png, pair):
    img_path = pair[0]
    raw = np.array([[0, 1, 2, 3, 255, 4, 1, 1]] * 6, np.uint8)
    ann_path = write_png(str(tmp_path / 'raw.png'), raw)
    results = _load(
        _frame(img_path, ann_path, reduce_zero_label=True,
               label_map={0: 2, 3: 255}))
    # reduce: 0->255, v->v-1, 255->255; then map 0->2, 3->255
    assert results['gt_seg_map'][0].tolist() == [255, 2, 1, 2, 255, 255, 2, 2]
    with pytest.raises(ValueError, match='reduce_zero_label'), \
            pytest.warns(UserWarning, match='deprecated'):
        _load(_frame(img_path, ann_path), reduce_zero_label=True)


def test_label_checked_against_original_size_after_resize(pair):
    img_path, ann_path, _, label = pair
    frame = Resize(scale=(16, 12), keep_ratio=True)(
        LoadFrameFromFile()(_frame(img_path, ann_path)))
    assert frame['img_shape'] == (12, 16)
    results = LoadVideoAnnotations()(frame)
    np.testing.assert_array_equal(results['gt_seg_map'], label)


def test_missing_and_corrupt_images(tmp_path, pair):
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        LoadFrameFromFile()(_frame(missing))
    corrupt = tmp_path / 'corrupt.png'
    corrupt.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match='corrupt.png'):
        LoadFrameFromFile()(_frame(str(corrupt)))
    content = open(pair[0], 'rb').read()
    truncated = tmp_path / 'truncated.png'
    truncated.write_bytes(content[:len(content) // 2])
    with pytest.raises(ValueError, match='truncated.png'):
        LoadFrameFromFile()(_frame(str(truncated)))
    with pytest.raises(ValueError, match='color_type'):
        LoadFrameFromFile(color_type='grayscale')


def test_bad_labels_are_named(tmp_path, write_png, pair):
    img_path = pair[0]
    small = write_png(str(tmp_path / 'small.png'), np.zeros((5, 8),
                                                            np.uint8))
    with pytest.raises(ValueError, match='small.png.*size'):
        _load(_frame(img_path, small))
    bad = write_png(str(tmp_path / 'bad_value.png'),
                    np.full((6, 8), 7, np.uint8))
    with pytest.raises(ValueError, match=r'bad_value.png.*\[7\]'):
        _load(_frame(img_path, bad))
    wide = write_png(str(tmp_path / 'wide.png'),
                     np.full((6, 8), 300, np.uint16))
    with pytest.raises(ValueError, match='wide.png.*uint8'):
        _load(_frame(img_path, wide))
    content = open(pair[1], 'rb').read()
    truncated = tmp_path / 'truncated_label.png'
    truncated.write_bytes(content[:len(content) // 2])
    with pytest.raises(ValueError, match='truncated_label.png'):
        _load(_frame(img_path, str(truncated)))
    with pytest.raises(FileNotFoundError, match='nolabel.png'):
        _load(_frame(img_path, osp.join(str(tmp_path), 'nolabel.png')))
    with pytest.raises(KeyError, match='ori_shape'):
        LoadVideoAnnotations()(_frame(img_path, pair[1]))
