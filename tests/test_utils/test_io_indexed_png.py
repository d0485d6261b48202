# Copyright (c) mmvseg contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from mmvseg.utils import list_images, read_image, read_indexed_png, read_label

IDS = np.array([[0, 1, 2, 255], [3, 0, 1, 7]], np.uint8)


def write_palette_png(path, ids):
    img = Image.fromarray(np.asarray(ids, np.uint8))
    img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [200] * (253 * 3))
    img.save(path)
    return str(path)


def test_palette_png_keeps_the_indices(tmp_path):
    path = write_palette_png(tmp_path / 'p.png', IDS)
    assert Image.open(path).mode == 'P'
    ids = read_indexed_png(path)
    assert ids.dtype == np.int64 and ids.shape == (2, 4)
    np.testing.assert_array_equal(ids, IDS)
    # OpenCV expands the palette to colours: why this reader exists
    assert read_image(path, 'unchanged').shape == (2, 4, 3)


def test_read_label_reads_palette_pngs_as_indices(tmp_path):
    path = write_palette_png(tmp_path / 'p.png', IDS)
    ids = read_label(path)
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, IDS)


def test_read_label_keeps_grey_and_16_bit_values(tmp_path):
    grey = str(tmp_path / 'l.png')
    Image.fromarray(IDS).save(grey)
    np.testing.assert_array_equal(read_label(grey), IDS)
    wide = np.array([[0, 1000], [65535, 7]], np.uint16)
    path = str(tmp_path / 'i16.png')
    Image.fromarray(wide).save(path)
    np.testing.assert_array_equal(read_label(path), wide)


def test_read_label_rejects_colour_pngs(tmp_path):
    path = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(path)
    with pytest.raises(ValueError, match='rgb.png: a label map must have one'):
        read_label(path)
    with pytest.raises(FileNotFoundError, match='none.png'):
        read_label(str(tmp_path / 'none.png'))


def test_grayscale_png_keeps_the_grey_values(tmp_path):
    path = str(tmp_path / 'l.png')
    Image.fromarray(IDS).save(path)
    assert Image.open(path).mode == 'L'
    np.testing.assert_array_equal(read_indexed_png(path), IDS)


def test_missing_file(tmp_path):
    path = str(tmp_path / 'none.png')
    with pytest.raises(FileNotFoundError, match='none.png'):
        read_indexed_png(path)


@pytest.mark.parametrize(
    'mangle, message',
    [
        (lambda data: b'', 'empty file'),
        (lambda data: data[:len(data) // 2], 'truncated'),
        (lambda data: data[:-12], 'truncated'),  # IEND chunk cut off
        (lambda data: b'GIF89a' + data[6:], 'not a PNG'),
        # garbage in the IHDR chunk, IEND kept
        (lambda data: data[:12] + b'\xff' * 13 + data[25:], 'cannot decode'),
    ])
def test_corrupt_files(tmp_path, mangle, message):
    data = open(write_palette_png(tmp_path / 'ok.png', IDS), 'rb').read()
    path = tmp_path / 'bad.png'
    path.write_bytes(mangle(data))
    with pytest.raises(ValueError, match=f'bad.png.*{message}'):
        read_indexed_png(str(path))


@pytest.mark.parametrize('array', [
    np.zeros((2, 3, 3), np.uint8),
    np.zeros((2, 3), np.uint16),
])
def test_other_modes_are_rejected(tmp_path, array):
    path = str(tmp_path / 'other.png')
    Image.fromarray(array).save(path)
    with pytest.raises(ValueError, match='other.png.*got mode'):
        read_indexed_png(path)


def test_list_images_sorted_any_case_and_errors(tmp_path):
    for name in ('b.JPG', 'a.png', 'c.txt', 'd.jpeg'):
        (tmp_path / name).write_bytes(b'')
    (tmp_path / 'sub.png').mkdir()
    assert list_images(str(tmp_path)) == [
        str(tmp_path / name) for name in ('a.png', 'b.JPG', 'd.jpeg')
    ]
    with pytest.raises(FileNotFoundError,
                       match='missing: clip folder not found'):
        list_images(str(tmp_path / 'missing'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='empty: no image file'):
        list_images(str(empty))
