# Copyright (c) mmvseg contributors. All rights reserved.
"""Frame sources of ``mmvseg.apis``: folders, video files and arrays give the
same pixels; bad sources and undecodable frames are named."""
import numpy as np
import pytest
from video_files import (corrupt_mjpeg_frame, pan_frames, truncate_file,
                         write_folder, write_video)

from mmvseg.apis import (ArraySource, FolderSource, FrameDecodeError,
                         VideoFileSource, open_video_source)
from mmvseg.utils import read_image


def images(source, **kwargs):
    return [frame.image for frame in source.frames(**kwargs)]


def test_folder_frames_sorted_by_name_and_decoded_as_the_dataset(tmp_path):
    frames = pan_frames(4)
    paths = write_folder(str(tmp_path / 'clip'), frames[::-1], prefix='b')
    write_folder(str(tmp_path / 'clip'), frames[:1], prefix='a')
    (tmp_path / 'clip' / 'notes.txt').write_text('not a frame')
    source = open_video_source(str(tmp_path / 'clip'))
    assert isinstance(source, FolderSource)
    assert source.name == 'clip' and source.num_frames == 5
    assert source.fps is None
    read = list(source.frames())
    assert [f.name for f in read] == ['a_000'] + [f'b_{t:03d}' for t in
                                                  range(4)]
    assert [f.index for f in read] == list(range(5))
    assert read[1].path == paths[0]
    # the pixels of LoadFrameFromFile (read_image)
    assert all(np.array_equal(f.image, read_image(f.path)) for f in read)


def test_lossless_mp4_equals_the_frames(tmp_path):
    frames = pan_frames(5)
    path = write_video(str(tmp_path / 'pan.mp4'), frames, 'FFV1', fps=12.5)
    source = open_video_source(path)
    assert isinstance(source, VideoFileSource)
    assert source.name == 'pan' and source.fps == 12.5
    assert source.num_frames == 5
    read = list(source.frames())
    assert [f.name for f in read] == [f'{t:05d}' for t in range(5)]
    assert all(np.array_equal(a, f.image) for a, f in zip(frames, read))


@pytest.mark.parametrize('kind', ['list', 'array', 'generator'])
def test_array_sources(kind):
    frames = pan_frames(4)
    given = dict(list=frames, array=np.stack(frames),
                 generator=(f for f in frames))[kind]
    source = open_video_source(given, name='cam', fps=5)
    assert isinstance(source, ArraySource)
    assert source.name == 'cam' and source.fps == 5
    assert source.num_frames == (None if kind == 'generator' else 4)
    assert all(np.array_equal(a, b) for a, b in zip(frames, images(source)))


@pytest.mark.parametrize('kind', ['folder', 'mp4', 'list'])
def test_every_and_max_frames(tmp_path, kind):
    frames = pan_frames(7)
    source = open_video_source(
        dict(folder=lambda: write_folder(str(tmp_path / 'c'), frames) and
             str(tmp_path / 'c'),
             mp4=lambda: write_video(str(tmp_path / 'c.mp4'), frames),
             list=lambda: frames)[kind]())
    read = list(source.frames(every=3))
    assert [f.index for f in read] == [0, 3, 6]
    assert all(np.array_equal(frames[f.index], f.image) for f in read)
    assert [f.index for f in source.frames(every=2, max_frames=2)] == [0, 2]


@pytest.mark.parametrize('every,max_frames,match', [
    (0, None, 'every must be an int >= 1, got 0'),
    (1.5, None, 'every must be an int'),
    (1, 0, 'max_frames must be an int >= 1 or None, got 0'),
])
def test_bad_frame_selection(every, max_frames, match):
    with pytest.raises(ValueError, match=match):
        next(ArraySource(pan_frames(2)).frames(every, max_frames))


def test_missing_source(tmp_path):
    path = str(tmp_path / 'nowhere.mp4')
    with pytest.raises(FileNotFoundError,
                       match='nowhere.mp4: no such video file or folder'):
        open_video_source(path)


def test_a_file_that_is_not_a_video(tmp_path):
    path = tmp_path / 'notes.mp4'
    path.write_text('this is not a video')
    with pytest.raises(ValueError, match='notes.mp4: not a video that '
                       'OpenCV can open'):
        open_video_source(str(path))


def test_an_image_file_is_not_a_video(tmp_path):
    path = write_folder(str(tmp_path), pan_frames(1))[0]
    with pytest.raises(ValueError, match='an image file, not a video; .* '
                       'pass the folder'):
        open_video_source(path)


def test_a_folder_without_frames(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='empty: no image file'):
        open_video_source(str(tmp_path / 'empty'))


@pytest.mark.parametrize('given,match', [
    (np.zeros((4, 5, 3), np.uint8), r'\(T, H, W, 3\), got shape \(4, 5, 3\)'),
    (42, 'got int'),
])
def test_bad_source_types(given, match):
    with pytest.raises((TypeError, ValueError), match=match):
        open_video_source(given)


def test_a_bad_array_is_named_by_its_index():
    frames = pan_frames(3)
    frames[1] = frames[1].astype(np.float32)
    with pytest.raises(ValueError, match=r'frame 1: expected an \(H, W, 3\) '
                       'uint8 BGR array, got float32'):
        images(ArraySource(frames))


def test_a_corrupt_frame_in_a_folder_is_reported_and_the_rest_read(
        tmp_path):
    frames = pan_frames(5)
    paths = write_folder(str(tmp_path / 'c'), frames)
    truncate_file(paths[2])
    read = list(open_video_source(str(tmp_path / 'c')).frames())
    assert [f.index for f in read] == list(range(5))
    assert read[2].image is None
    assert isinstance(read[2].error, FrameDecodeError)
    assert read[2].error.index == 2 and read[2].error.path == paths[2]
    assert str(read[2].error).startswith(f'frame 2 ({paths[2]}): ')
    assert all(np.array_equal(frames[t], read[t].image) for t in (0, 1, 3, 4))


def test_a_corrupt_frame_in_a_video_is_reported_and_the_rest_read(tmp_path):
    frames = pan_frames(6)
    path = write_video(str(tmp_path / 'c.avi'), frames, 'MJPG')
    clean = images(open_video_source(path))
    corrupt_mjpeg_frame(path, 3)
    read = list(open_video_source(path).frames())
    assert [f.index for f in read] == list(range(6))
    assert read[3].image is None
    assert read[3].error.index == 3 and read[3].error.path == path
    assert 'frame 3' in str(read[3].error)
    for t in (0, 1, 2, 4, 5):
        assert np.array_equal(read[t].image, clean[t])


def test_a_frame_of_another_size_is_reported(tmp_path):
    frames = pan_frames(3)
    frames[1] = frames[1][:40]
    read = list(ArraySource(frames).frames())
    assert read[1].image is None and read[2].image is not None
    assert 'frame 1: size (40, 64) (H, W) differs from the first frame\'s ' \
        '(48, 64)' == str(read[1].error)
