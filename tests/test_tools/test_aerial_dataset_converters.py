# Copyright (c) mmvseg contributors. All rights reserved.
"""UAVid-VDD and RuralScapes converters on tiny fake archives."""
import os
import os.path as osp
import re
import shutil
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from mmvseg.datasets.conversion.archives import ArchiveSet
from mmvseg.datasets.conversion.cli import parse_size
from mmvseg.datasets.ruralscapes import RuralScapesDataset
from mmvseg.datasets.uavid_vdd import UAVidVDDDataset

from script_loader import load_script

uavid_tool = load_script('tools', 'dataset_converters', 'uavid_vdd.py')
rural_tool = load_script('tools', 'dataset_converters', 'ruralscapes.py')

# UAVid colours (RGB) -> stored id, and two colours outside the table.
UAVID = {(0, 0, 0): 0, (128, 64, 128): 1, (128, 128, 0): 2, (0, 128, 0): 3,
         (64, 64, 0): 4, (64, 0, 128): 5, (192, 0, 192): 5, (128, 0, 0): 7}
RURAL = [(0, 0, 0), (255, 255, 0), (0, 255, 0), (0, 127, 0), (0, 255, 255),
         (127, 127, 0), (255, 255, 255), (127, 127, 63), (255, 0, 255),
         (127, 127, 127), (255, 0, 0), (255, 127, 0), (0, 0, 255)]
UNKNOWN = [(10, 20, 30), (128, 0, 1)]


def _write_video(path, num_frames, height, width, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height, width, 3), np.uint8)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 20, (width, height))
    assert writer.isOpened()
    for i in range(num_frames):
        writer.write(np.roll(base, i, axis=1))
    writer.release()
    return str(path)


def _decode(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


def _png(array):
    ok, data = cv2.imencode('.png', array)
    assert ok
    return data.tobytes()


def _zip(path, members):
    """Stored (uncompressed) zip; values are bytes or file paths."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        for name, value in members.items():
            if isinstance(value, bytes):
                archive.writestr(name, value)
            else:
                archive.write(value, name)
    return str(path)


def _corrupt(path, member):
    """Flip bytes in the middle of a stored member's data."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, 'r+b') as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = np.frombuffer(f.read(4), '<u2')
        middle = info.header_offset + 30 + int(name_len) + int(extra_len) + \
            info.compress_size // 2
        f.seek(middle)
        data = bytearray(f.read(8))
        f.seek(middle)
        f.write(bytes(b ^ 0xFF for b in data))


def _blocks(rows, cols, values, rng, first=()):
    """Block ids of a (rows*4, cols*4) grid of 4x4 blocks and the value of
    each block: ``first`` values, then every value at least once, shuffled.
    """
    rest = list(values) * (rows * cols // len(values) + 1)
    rest = [rest[i] for i in rng.permutation(len(rest))]
    missing = [v for v in values if v not in rest[:rows * cols - len(first)]]
    grid = (list(first) + missing + rest)[:rows * cols]
    return np.kron(
        np.arange(rows * cols).reshape(rows, cols), np.ones((4, 4), int)), \
        grid


def _uavid_label(rng):
    """UAVid RGB label (BGR array), VDD label and the expected train ids,
    computed block by block from the rules of FraunhoferIVI/SSP
    ``tools/organize_uavid.py`` (restated in ``uavid_vdd.py``)."""
    # the first four blocks: both refinements and both refusals
    block, colours = _blocks(
        6, 8, list(UAVID) + UNKNOWN, rng,
        first=[(128, 0, 0), (10, 20, 30), (0, 0, 0), (128, 64, 128)])
    vdd_ids = rng.integers(0, 7, len(colours))
    vdd_ids[:4] = [5, 6, 5, 6]
    rgb = np.zeros(block.shape + (3, ), np.uint8)
    vdd = np.zeros(block.shape, np.uint8)
    expected = np.zeros(block.shape, np.uint8)
    for b, (colour, vdd_id) in enumerate(zip(colours, vdd_ids)):
        raw = UAVID.get(colour, 0)
        if vdd_id == 5 and raw == 7:
            raw = 8
        if vdd_id == 6 and raw == 0:
            raw = 6
        rgb[block == b] = colour
        vdd[block == b] = vdd_id
        expected[block == b] = 255 if raw == 0 else raw - 1
    return rgb[..., ::-1].copy(), vdd, expected


def _rural_label(rng):
    block, colours = _blocks(8, 12, RURAL + UNKNOWN, rng)
    rgb = np.zeros(block.shape + (3, ), np.uint8)
    expected = np.zeros(block.shape, np.uint8)
    for b, colour in enumerate(colours):
        raw = RURAL.index(colour) if colour in RURAL else 0
        rgb[block == b] = colour
        expected[block == b] = 255 if raw == 0 else raw - 1
    return rgb[..., ::-1].copy(), expected


def _nearest(label, size):
    return np.asarray(Image.fromarray(label).resize(size, Image.NEAREST))


def _bilinear_bgr(bgr, size):
    rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
    return np.asarray(rgb.resize(size, Image.BILINEAR))[..., ::-1]


def _read(path):
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def _listing(root, clip):
    return {
        sub: sorted(os.listdir(osp.join(root, clip, sub)))
        for sub in ('origin', 'mask')
    }


def _lines(path):
    with open(path) as f:
        return f.read().split()


# --------------------------------------------------------------------- #
# UAVid + VDD
@pytest.fixture(scope='module')
def uavid(tmp_path_factory):
    root = tmp_path_factory.mktemp('uavid')
    rng = np.random.default_rng(0)
    layout = {'seq1': ('uavid_train', 171, [0, 100, 150]),
              'seq2': ('uavid_train', 60, []),
              'seq16': ('uavid_val', 140, [0, 100])}
    members, vdd_members, frames, expected = {}, {}, {}, {}
    prefix = 'uavid_v1.5_official_release'
    for i, (seq, (folder, length, labelled)) in enumerate(layout.items()):
        video = _write_video(root / f'{seq}.mp4', length, 24, 32, seed=i)
        frames[seq] = _decode(video)
        members[f'{prefix}/{folder}/{seq}/images.mp4'] = video
        for index in labelled:
            rgb, vdd, expected[seq, index] = _uavid_label(rng)
            members[f'{prefix}/{folder}/{seq}/Labels/{index:06d}.png'] = \
                _png(rgb)
            vdd_members[f'UAVid7/{folder}/{seq}/VDD_Labels/{index:06d}.png'] \
                = _png(vdd)
    # a UAVid label without VDD label: the frame stays unlabelled
    members[f'{prefix}/uavid_train/seq2/Labels/000050.png'] = _png(rgb)
    uavid_zip = _zip(root / 'uavid.zip', members)
    vdd_zip = _zip(root / 'vdd.zip', vdd_members)
    out = str(root / 'out')
    args = [uavid_zip, vdd_zip, '-o', out, '--size', '32x24',
            '--scaled-size', '16x12']
    rc = uavid_tool.main(args)
    return dict(out=out, rc=rc, frames=frames, expected=expected, args=args)


def test_uavid_clips_and_splits(uavid):
    out = uavid['out']
    assert uavid['rc'] == 0
    # natural order: seq1, seq2, seq16; frame 0 dropped; 100-frame clips;
    # seq16's 39-frame tail is dropped (< 50), seq2's 59 frames are kept
    assert _lines(osp.join(out, 'train.txt')) == [
        '0_seq1_0', '1_seq1_1', '2_seq2_0']
    assert _lines(osp.join(out, 'val.txt')) == ['3_seq16_0']
    clips = {'0_seq1_0': (range(1, 101), [100]),
             '1_seq1_1': (range(101, 171), [150]),
             '2_seq2_0': (range(1, 60), []),
             '3_seq16_0': (range(1, 101), [100])}
    assert sorted(os.listdir(osp.join(out, 'data'))) == sorted(clips)
    for copy in ('data', 'data_16x12'):
        for clip, (indices, labelled) in clips.items():
            assert _listing(osp.join(out, copy), clip) == dict(
                origin=[f'{i:06d}.png' for i in indices],
                mask=[f'{i:06d}.png' for i in labelled])
    assert not osp.exists(osp.join(out, '.work'))


def test_uavid_label_ids_pixel_by_pixel(uavid):
    out, expected = uavid['out'], uavid['expected']
    for clip, seq, index in (('0_seq1_0', 'seq1', 100),
                             ('1_seq1_1', 'seq1', 150),
                             ('3_seq16_0', 'seq16', 100)):
        label = _read(osp.join(out, 'data', clip, 'mask', f'{index:06d}.png'))
        assert label.dtype == np.uint8 and label.shape == (24, 24 + 8)
        np.testing.assert_array_equal(label, expected[seq, index])
        scaled = _read(
            osp.join(out, 'data_16x12', clip, 'mask', f'{index:06d}.png'))
        np.testing.assert_array_equal(
            scaled, _nearest(expected[seq, index], (16, 12)))
    label = _read(osp.join(out, 'data', '0_seq1_0', 'mask', '000100.png'))
    assert set(np.unique(label)) == set(range(8)) | {255}
    # building + VDD roof -> roof; unknown colour + VDD water -> water;
    # clutter + VDD roof -> ignored; road + VDD water -> road
    assert [label[0, 0], label[0, 4], label[0, 8], label[0, 12]] == \
        [7, 5, 255, 0]


def test_uavid_frames(uavid):
    out, frames = uavid['out'], uavid['frames']
    for clip, seq, index in (('0_seq1_0', 'seq1', 1),
                             ('0_seq1_0', 'seq1', 100),
                             ('3_seq16_0', 'seq16', 37)):
        name = f'{index:06d}.png'
        frame = _read(osp.join(out, 'data', clip, 'origin', name))
        np.testing.assert_array_equal(frame, frames[seq][index])
        scaled = _read(
            osp.join(out, 'data_16x12', clip, 'origin', f'{index:06d}.png'))
        np.testing.assert_array_equal(
            scaled, _bilinear_bgr(frames[seq][index], (16, 12)))


def test_uavid_dataset_on_converted_output(uavid):
    prefix = dict(img_path='data_16x12', seg_map_path='data_16x12')
    val = UAVidVDDDataset(
        data_root=uavid['out'], ann_file='val.txt', data_prefix=prefix,
        test_mode=True, serialize_data=False)
    (clip, ) = [val.get_data_info(i) for i in range(len(val))]
    assert [f['frame_id'] for f in clip['frames']] == list(range(1, 101))
    assert [f['seg_map_path'] is not None for f in clip['frames']] == \
        [False] * 99 + [True]
    train = UAVidVDDDataset(
        data_root=uavid['out'], ann_file='train.txt', data_prefix=prefix,
        serialize_data=False)
    assert [[f['frame_id'] for f in train.get_data_info(i)['frames']]
            for i in range(len(train))] == [[99, 100], [149, 150]]


def _record_conversions(monkeypatch, converter_cls):
    """Names of the sequences that ``converter_cls`` converts."""
    converted = []
    convert = converter_cls.convert_sequence

    def recording(self, seq):
        converted.append(seq.name)
        return convert(self, seq)

    monkeypatch.setattr(converter_cls, 'convert_sequence', recording)
    return converted


def test_uavid_resume_skips_finished_sequences(uavid, monkeypatch):
    frame = osp.join(uavid['out'], 'data', '1_seq1_1', 'origin', '000101.png')
    before = os.stat(frame)
    converted = _record_conversions(monkeypatch,
                                    uavid_tool.UAVidVDDConverter)
    assert uavid_tool.main(uavid['args']) == 0
    assert converted == []
    after = os.stat(frame)
    assert (after.st_ino, after.st_mtime_ns) == \
        (before.st_ino, before.st_mtime_ns)
    # other sizes on the same output: refused, nothing touched
    args = uavid['args'][:-1] + ['8x6']
    with pytest.raises(ValueError, match='seq1.json.*converted with size'):
        uavid_tool.main(args)
    assert os.stat(frame).st_mtime_ns == before.st_mtime_ns


def test_merge_labels_size_mismatch():
    with pytest.raises(ValueError, match='differs from VDD label size'):
        uavid_tool.merge_labels(
            np.zeros((4, 6, 3), np.uint8), np.zeros((4, 5), np.uint8))


# --------------------------------------------------------------------- #
# RuralScapes
RURAL_LAYOUT = {
    # video: (frames, label frames)
    'DJI_0043': (60, [0, 25, 50]),
    'DJI_0051': (330, list(range(0, 301, 50)) + [320]),
    'DJI_0061': (60, [0, 20, 55]),
    'DJI_0099': (40, [0, 10, 20]),  # 7 kept frames: clip too short
    'DJI_0100': (20, []),  # no labels: skipped
}


@pytest.fixture(scope='module')
def rural(tmp_path_factory):
    root = tmp_path_factory.mktemp('rural')
    rng = np.random.default_rng(1)
    members, frames, expected = {}, {}, {}
    for i, (video, (length, labelled)) in enumerate(RURAL_LAYOUT.items()):
        path = _write_video(root / f'{video}.MP4', length, 32, 48, seed=i)
        frames[video] = _decode(path)
        members[f'Ruralscapes/videos/{video}.MP4'] = path
        for index in labelled:
            rgb, expected[video, index] = _rural_label(rng)
            members[f'Ruralscapes/labels/manual_labels/{video}/'
                    f'segfull_{video}_{index:06d}.png'] = _png(rgb)
    good = _zip(root / 'Ruralscapes.zip', members)
    out = str(root / 'out')
    rc = rural_tool.main(
        [good, '-o', out, '--size', '24x16', '--scaled-size', '12x8'])
    return dict(root=root, members=members, zip=good, out=out, rc=rc,
                frames=frames, expected=expected)


RURAL_CLIPS = {
    '0_DJI_0043_0': (range(5, 56, 5), [25]),
    '1_DJI_0051_0': (range(5, 251, 5), [50, 100, 150, 200, 250]),
    '2_DJI_0051_1': (range(255, 326, 5), [300]),
    '3_DJI_0061_0': (range(5, 56, 5), [20]),
}


def _rural_names(clip, indices):
    video = clip.split('_', 1)[1].rsplit('_', 1)[0]
    return [f'segfull_{video}_{i:06d}.png' for i in indices]


def test_ruralscapes_clips_and_splits(rural):
    out = rural['out']
    assert rural['rc'] == 0
    assert _lines(osp.join(out, 'train.txt')) == ['0_DJI_0043_0']
    assert _lines(osp.join(out, 'val.txt')) == [
        '1_DJI_0051_0', '2_DJI_0051_1', '3_DJI_0061_0']
    for copy in ('data', 'data_12x8'):
        assert sorted(os.listdir(osp.join(out, copy))) == sorted(RURAL_CLIPS)
        for clip, (indices, labelled) in RURAL_CLIPS.items():
            assert _listing(osp.join(out, copy), clip) == dict(
                origin=_rural_names(clip, indices),
                mask=_rural_names(clip, labelled))


def test_ruralscapes_label_ids_and_frames(rural):
    out, expected, frames = rural['out'], rural['expected'], rural['frames']
    for clip, video, index in (('1_DJI_0051_0', 'DJI_0051', 150),
                               ('0_DJI_0043_0', 'DJI_0043', 25)):
        name = f'segfull_{video}_{index:06d}.png'
        assert set(np.unique(expected[video, index])) == \
            set(range(12)) | {255}
        np.testing.assert_array_equal(
            _read(osp.join(out, 'data', clip, 'mask', name)),
            _nearest(expected[video, index], (24, 16)))
        np.testing.assert_array_equal(
            _read(osp.join(out, 'data_12x8', clip, 'mask', name)),
            _nearest(expected[video, index], (12, 8)))
        frame = cv2.resize(frames[video][index], (24, 16),
                           interpolation=cv2.INTER_CUBIC)
        np.testing.assert_array_equal(
            _read(osp.join(out, 'data', clip, 'origin', name)), frame)
        np.testing.assert_array_equal(
            _read(osp.join(out, 'data_12x8', clip, 'origin', name)),
            _bilinear_bgr(frame, (12, 8)))


def test_ruralscapes_dataset_on_converted_output(rural):
    train = RuralScapesDataset(
        data_root=rural['out'], ann_file='train.txt', ref_offsets=[-1],
        serialize_data=False)
    (item, ) = [train.get_data_info(i) for i in range(len(train))]
    assert [f['frame_id'] for f in item['frames']] == [20, 25]
    val = RuralScapesDataset(
        data_root=rural['out'], ann_file='val.txt', test_mode=True,
        serialize_data=False)
    clips = [val.get_data_info(i) for i in range(len(val))]
    assert [len(c['frames']) for c in clips] == [50, 15, 11]
    assert [f['frame_id'] for f in clips[0]['frames']
            if f['seg_map_path']] == [50, 100, 150, 200, 250]


def _tree(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        if '.convert_state' in dirpath:
            continue
        for name in names:
            with open(osp.join(dirpath, name), 'rb') as f:
                files[osp.relpath(osp.join(dirpath, name), root)] = f.read()
    return files


def test_corrupt_members_are_reported_and_resumed(rural, capsys,
                                                  monkeypatch):
    bad = str(rural['root'] / 'corrupt.zip')
    _zip(bad, rural['members'])
    bad_label = ('Ruralscapes/labels/manual_labels/DJI_0051/'
                 'segfull_DJI_0051_000100.png')
    bad_video = 'Ruralscapes/videos/DJI_0061.MP4'
    _corrupt(bad, bad_label)
    _corrupt(bad, bad_video)
    out = str(rural['root'] / 'resumed')
    size_args = ['--size', '24x16', '--scaled-size', '12x8']
    capsys.readouterr()
    assert rural_tool.main([bad, '-o', out, '--nproc', '2'] + size_args) == 1
    err = capsys.readouterr().err
    assert '2 archive members could not be converted' in err
    assert f'{bad}:{bad_label}: corrupt or truncated archive member' in err
    assert f'{bad}:{bad_video}: corrupt or truncated archive member' in err
    assert 'Bad CRC-32' in err
    # the rest is converted: DJI_0043 fully, DJI_0051 without frame 100
    assert _lines(osp.join(out, 'val.txt')) == ['1_DJI_0051_0',
                                                '2_DJI_0051_1']
    assert _listing(osp.join(out, 'data'), '1_DJI_0051_0')['mask'] == \
        _rural_names('1_DJI_0051_0', [50, 150, 200, 250])
    assert _listing(osp.join(out, 'data'), '0_DJI_0043_0') == \
        _listing(osp.join(rural['out'], 'data'), '0_DJI_0043_0')

    # repaired archive: only the incomplete videos are converted again and
    # the result equals a conversion from scratch
    frame = osp.join(out, 'data', '0_DJI_0043_0', 'origin',
                     'segfull_DJI_0043_000005.png')
    before = os.stat(frame)
    converted = _record_conversions(monkeypatch,
                                    rural_tool.RuralScapesConverter)
    assert rural_tool.main([rural['zip'], '-o', out] + size_args) == 0
    assert sorted(converted) == ['DJI_0051', 'DJI_0061']
    after = os.stat(frame)
    assert (after.st_ino, after.st_mtime_ns) == \
        (before.st_ino, before.st_mtime_ns)
    assert _tree(out) == _tree(rural['out'])


def test_unreadable_archives(rural, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.zip'):
        rural_tool.main([str(tmp_path / 'missing.zip'), '-o',
                         str(tmp_path / 'o')])
    truncated = tmp_path / 'truncated.zip'
    with open(rural['zip'], 'rb') as f:
        truncated.write_bytes(f.read()[:5000])
    with pytest.raises(ValueError, match='truncated.zip: not a readable zip'):
        rural_tool.main([str(truncated), '-o', str(tmp_path / 'o')])
    empty = _zip(tmp_path / 'other.zip', {'readme.txt': b'x'})
    with pytest.raises(ValueError, match='no sequence found'):
        rural_tool.main([empty, '-o', str(tmp_path / 'o')])


def test_size_arguments(capsys):
    assert parse_size('2560x1440') == (2560, 1440)
    assert parse_size('none', allow_none=True) is None
    for text in ('2560', '0x10', 'none', '12x-3'):
        with pytest.raises(ValueError, match='<width>x<height>'):
            parse_size(text)
    with pytest.raises(SystemExit) as exc:
        rural_tool.main(['a.zip', '-o', 'out', '--size', '2560'])
    assert exc.value.code == 2
    assert "got '2560'" in capsys.readouterr().err
    args = rural_tool.parse_args(['a.zip', '-o', 'out', '--scaled-size',
                                  'none'])
    assert args.size == (2560, 1440) and args.scaled_size is None


def test_truncated_video_in_folder_source(tmp_path, capsys):
    source = tmp_path / 'Ruralscapes'
    (source / 'videos').mkdir(parents=True)
    avi = str(tmp_path / 'full.avi')
    rng = np.random.default_rng(2)
    writer = cv2.VideoWriter(avi, cv2.VideoWriter_fourcc(*'MJPG'), 20,
                             (48, 32))
    base = rng.integers(0, 256, (32, 48, 3), np.uint8)
    for i in range(200):
        writer.write(np.roll(base, i, axis=1))
    writer.release()
    with open(avi, 'rb') as f:
        data = f.read()
    (source / 'videos' / 'DJI_0200.avi').write_bytes(data[:len(data) // 2])
    label_dir = source / 'labels' / 'manual_labels' / 'DJI_0200'
    label_dir.mkdir(parents=True)
    for index in (0, 25, 150):
        (label_dir / f'segfull_DJI_0200_{index:06d}.png').write_bytes(
            _png(_rural_label(rng)[0]))
    out = str(tmp_path / 'out')
    assert rural_tool.main([str(source), '-o', out, '--size', '24x16',
                            '--scaled-size', 'none']) == 1
    err = capsys.readouterr().err
    assert f'{source}:videos/DJI_0200.avi: truncated or corrupt video: ' \
        'the header announces 200 frames, ' in err
    # the decoded part is converted
    assert _lines(osp.join(out, 'train.txt')) == ['0_DJI_0200_0']
    listing = _listing(osp.join(out, 'data'), '0_DJI_0200_0')
    assert listing['mask'] == ['segfull_DJI_0200_000025.png']
    numbers = [int(n[-10:-4]) for n in listing['origin']]
    assert numbers == list(range(5, 5 * len(numbers) + 1, 5))
    assert 10 <= len(numbers) < 39
    assert not osp.exists(osp.join(out, 'data_1280x736'))


def test_unusable_members_and_lost_outputs(tmp_path, capsys):
    png = _png(np.zeros((24, 32, 3), np.uint8))
    prefix = 'uavid_train'
    members = {
        f'{prefix}/seq1/images.mp4': b'not a video' * 10,
        f'{prefix}/seq2/Labels/000050.png': png,  # no video
        f'{prefix}/seq3/images.mp4': _write_video(
            tmp_path / 'seq3.mp4', 60, 24, 32, seed=3),
        f'{prefix}/seq3/Labels/000050.png': png[:len(png) // 2],  # truncated
        f'{prefix}/seq4/images.mp4': _write_video(
            tmp_path / 'seq4.mp4', 60, 24, 32, seed=4),
    }
    vdd = {f'UAVid7/{prefix}/{seq}/VDD_Labels/000050.png':
           _png(np.zeros((24, 32), np.uint8)) for seq in ('seq2', 'seq3')}
    uavid_zip = _zip(tmp_path / 'uavid.zip', members)
    vdd_zip = _zip(tmp_path / 'vdd.zip', vdd)
    out = str(tmp_path / 'out')
    args = [uavid_zip, vdd_zip, '-o', out, '--size', '32x24',
            '--scaled-size', 'none']
    assert uavid_tool.main(args) == 1
    err = capsys.readouterr().err
    assert f'{uavid_zip}:{prefix}/seq1/images.mp4: cannot be opened as a ' \
        'video' in err
    assert f'seq2: the video of the sequence is not in [{uavid_zip!r}]' in err
    assert f'{uavid_zip}:{prefix}/seq3/Labels/000050.png: cannot decode ' \
        'the image' in err
    # seq3 is converted without its label, seq4 completely
    assert _lines(osp.join(out, 'train.txt')) == ['0_seq3_0', '1_seq4_0']
    assert _listing(osp.join(out, 'data'), '0_seq3_0')['mask'] == []

    # outputs of a finished sequence deleted by hand: named, with the fix
    shutil.rmtree(osp.join(out, 'data', '1_seq4_0'))
    with pytest.raises(FileNotFoundError,
                       match=r'1_seq4_0: clip 0 of sequence seq4 is missing; '
                       r'delete .*seq4.json'):
        uavid_tool.main(args)


def test_converter_arguments(tmp_path):
    empty = _zip(tmp_path / 'empty.zip', {'x.txt': b'x'})
    for kwargs in (dict(size=(0, 10)), dict(scaled_size=(10, )),
                   dict(nproc=0)):
        with pytest.raises(ValueError, match='sizes must be|nproc must be'):
            rural_tool.RuralScapesConverter([empty], str(tmp_path), **kwargs)


def test_members_by_sequence(tmp_path, warnings_log):
    source = _zip(tmp_path / 'a.zip', {
        'x/videos/s1.mp4': b'v', 'x/videos/s1.avi': b'w',
        'x/labels/s1/f_000007.png': b'', 'x/labels/s1/cover.png': b'',
        'x/labels/s2/000003.png': b''})
    archives = ArchiveSet([source])
    # the first member in sorted order wins
    assert archives.members_by_sequence(
        re.compile(r'videos/([^/.]+)\.')) == {'s1': 'x/videos/s1.avi'}
    labels = archives.frames_by_sequence(
        re.compile(r'labels/([^/]+)/([^/]+)\.png$'))
    assert labels == {'s1': {7: 'x/labels/s1/f_000007.png'},
                      's2': {3: 'x/labels/s2/000003.png'}}
    assert labels['s3'] == {}
    assert warnings_log == [f'{source}:x/labels/s1/cover.png: frame name '
                            'must end with its frame number (e.g. '
                            '000123.png); skipped']
    archives.close()
