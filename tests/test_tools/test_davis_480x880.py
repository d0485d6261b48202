# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from script_loader import load_script

converter = load_script('tools', 'dataset_converters', 'davis_480x880.py')

# 21 -> 30 has no ties (j + 0.5) * 21 / 30 on integers, like 854 -> 880
SRC_W, SRC_H, DST_W, DST_H = 21, 4, 30, 4


def _fake_davis(root, videos=('a', 'b'), frames=2):
    palette = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [7] * (256 * 3 - 9)
    for video in videos:
        img_dir = osp.join(root, 'JPEGImages', '480p', video)
        ann_dir = osp.join(root, 'Annotations', '480p', video)
        os.makedirs(img_dir)
        os.makedirs(ann_dir)
        for t in range(frames):
            rgb = np.full((SRC_H, SRC_W, 3), 60 * t, np.uint8)
            Image.fromarray(rgb).save(osp.join(img_dir, f'{t:05d}.jpg'))
            # each column holds its own x: shows which source column is kept
            ids = np.tile(np.arange(SRC_W, dtype=np.uint8), (SRC_H, 1))
            label = Image.fromarray(ids, mode='P')
            label.putpalette(palette)
            label.save(osp.join(ann_dir, f'{t:05d}.png'))
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('\n'.join(videos) + '\n')
    return palette


def test_nearest_resize_keeps_palette_and_ids(tmp_path):
    src, dst = str(tmp_path / 'src'), str(tmp_path / 'dst')
    palette = _fake_davis(src)
    done = converter.convert(src, dst, size=(DST_W, DST_H))
    assert done == ['a', 'b']
    label = Image.open(osp.join(dst, 'Annotations', '480p', 'b', '00001.png'))
    assert label.mode == 'P' and label.size == (DST_W, DST_H)
    assert label.getpalette()[:len(palette)] == palette
    # PIL nearest takes source column floor((j + 0.5) * 21 / 30)
    expected = np.floor((np.arange(DST_W) + 0.5) * SRC_W / DST_W)
    np.testing.assert_array_equal(np.asarray(label), np.tile(expected,
                                                             (DST_H, 1)))
    frame = Image.open(osp.join(dst, 'JPEGImages', '480p', 'a', '00001.jpg'))
    assert frame.mode == 'RGB' and frame.size == (DST_W, DST_H)
    assert np.abs(np.asarray(frame).astype(int) - 60).max() <= 2
    with open(osp.join(dst, 'ImageSets', '2017', 'val.txt')) as f:
        assert f.read().split() == ['a', 'b']


def test_resumes_and_skips_finished_videos(tmp_path):
    src, dst = str(tmp_path / 'src'), str(tmp_path / 'dst')
    _fake_davis(src)
    assert converter.convert(src, dst, videos=['a'], size=(8, 4)) == ['a']
    assert converter.convert(src, dst, size=(8, 4)) == ['b']
    assert converter.convert(src, dst, size=(8, 4)) == []


def test_main_writes_catmae_size(tmp_path):
    src, dst = str(tmp_path / 'src'), str(tmp_path / 'dst')
    _fake_davis(src, videos=('a', ), frames=1)
    converter.main([src, dst])
    label = Image.open(osp.join(dst, 'Annotations', '480p', 'a', '00000.png'))
    assert label.size == (880, 480)


def test_errors_name_the_problem(tmp_path):
    src = str(tmp_path / 'src')
    _fake_davis(src, videos=('a', ), frames=1)
    with pytest.raises(ValueError, match='differ'):
        converter.convert(src, src)
    with pytest.raises(FileNotFoundError, match='JPEGImages'):
        converter.convert(str(tmp_path), str(tmp_path / 'out'))
    bad = osp.join(src, 'Annotations', '480p', 'a', '00000.png')
    with open(bad, 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(ValueError, match='00000.png'):
        converter.convert(src, str(tmp_path / 'dst'))
