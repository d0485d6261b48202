# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp
import re
from collections import Counter

import numpy as np
import pytest
from mmcv.transforms import Compose, TransformBroadcaster
from mmengine.config import Config
from mmseg.datasets import CityscapesDataset
from script_loader import REPO_ROOT

from mmvseg.datasets import (CityscapesSeqDataset, LoadFrameFromFile,
                             LoadVideoAnnotations, VideoFrameSample)
from mmvseg.datasets.cityscapes_seq import SNIPPET_LISTS
from mmvseg.registry import DATASETS

H, W = 4, 6
FRAMES = 'leftImg8bit_sequence'
#: snippet -> (first frame, frame suffix, labelled)
SNIPPETS = {
    'aachen_000000_000019': (0, '.png', True),
    'aachen_000001_000019': (0, '.jpg', True),
    'bochum_000002_000019': (0, '.png', False),
    'frankfurt_000000_000294': (275, '.png', True),
    'frankfurt_000000_000576': (557, '.jpg', False),
}
LOAD = TransformBroadcaster(
    transforms=[LoadFrameFromFile(), LoadVideoAnnotations()])


def _frame_path(root, stem, suffix='.png', split='train'):
    city = stem.split('_')[0]
    return osp.join(root, FRAMES, split, city,
                    f'{stem}_leftImg8bit{suffix}')


def _label_path(root, stem, split='train'):
    city = stem.split('_')[0]
    return osp.join(root, 'gtFine', split, city,
                    f'{stem}_gtFine_labelTrainIds.png')


@pytest.fixture
def root(tmp_path, write_png):
    """The official layout with the tiny snippets of ``SNIPPETS``."""
    root = str(tmp_path / 'cityscapes_seq')
    rng = np.random.default_rng(0)
    for name, (first, suffix, labelled) in SNIPPETS.items():
        sequence = name[:-7]
        for number in range(first, first + 30):
            stem = f'{sequence}_{number:06d}'
            write_png(_frame_path(root, stem, suffix),
                      rng.integers(0, 256, (H, W, 3), np.uint8))
        if labelled:
            label = rng.integers(0, 19, (H, W), np.uint8)
            label[0, 0] = 255
            write_png(_label_path(root, name), label)
    return root


def _items(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def _write_list(root, *lines):
    path = osp.join(root, 'snippets.txt')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def test_training_items(root):
    dataset = DATASETS.build(
        dict(type='CityscapesSeqDataset', data_root=root,
             ref_offsets=[-2, -1]))
    items = _items(dataset)
    assert [it['video_id'] for it in items] == [
        'aachen_000000_000019', 'aachen_000001_000019',
        'frankfurt_000000_000294'
    ]
    assert [it['key_frame_index'] for it in items] == [19] * 3
    assert all(it['video_length'] == 30 for it in items)
    assert [f['frame_id'] for f in items[2]['frames']] == [292, 293, 294]
    assert items[0]['key_frame_flags'] == [False, False, True]
    key = items[1]['frames'][2]
    assert key['img_path'] == _frame_path(root, 'aachen_000001_000019',
                                          '.jpg')
    assert key['seg_map_path'] == _label_path(root, 'aachen_000001_000019')
    assert key['num_classes'] == 19
    assert [f['seg_map_path'] for f in items[0]['frames'][:2]] == [None] * 2
    meta = CityscapesDataset.METAINFO
    assert dataset.metainfo['classes'] == meta['classes']
    assert dataset.metainfo['palette'] == meta['palette']


def test_random_reference_offsets(root):
    dataset = CityscapesSeqDataset(
        data_root=root, ref_offsets=dict(choices=[3, 2, 1, -1, -2], num=1))
    np.random.seed(0)
    drawn = set()
    for _ in range(40):
        item = dataset.get_data_info(0)
        key, ref = [f['frame_id'] for f in item['frames']]
        assert key == 19 and item['key_frame_flags'] == [True, False]
        drawn.add(ref - key)
    assert drawn == {3, 2, 1, -1, -2}


def test_unlabelled_snippets(root):
    dataset = CityscapesSeqDataset(
        data_root=root,
        ref_offsets=[-1],
        key_frames='all',
        allow_unlabelled_videos=True)
    items = _items(dataset)
    assert len(items) == 5 * 30
    bochum = [it for it in items if it['video_id'].startswith('bochum')]
    assert [it['key_frame_index'] for it in bochum] == list(range(30))
    assert all(f['seg_map_path'] is None for it in bochum
               for f in it['frames'])
    with pytest.raises(ValueError, match='bochum_000002_000000'):
        CityscapesSeqDataset(data_root=root, key_frames='all')


def test_test_clips(root):
    dataset = CityscapesSeqDataset(data_root=root, test_mode=True)
    items = _items(dataset)
    assert [it['video_id'] for it in items] == sorted(SNIPPETS)
    for item, (first, _, labelled) in zip(items, SNIPPETS.values()):
        assert [f['frame_id'] for f in item['frames']] == list(
            range(first, first + 30))
        assert item['key_frame_flags'] == [True] * 30
        assert [i for i, f in enumerate(item['frames'])
                if f['seg_map_path']] == ([19] if labelled else [])
    results = LOAD(VideoFrameSample()(items[0]))
    assert len(results['img']) == 30 and results['img'][0].shape == (H, W, 3)
    assert results['gt_seg_map'][19][0, 0] == 255
    assert (results['gt_seg_map'][0] == 255).all()  # unlabelled frame


def test_snippet_list(root):
    path = _write_list(root, '# comment', 'bochum_000002', '',
                       'frankfurt_000000_000576', 'aachen_000000')
    dataset = CityscapesSeqDataset(
        data_root=root, ann_file='snippets.txt', test_mode=True)
    assert dataset.ann_file == path
    assert [it['video_id'] for it in _items(dataset)] == [
        'bochum_000002_000019', 'frankfurt_000000_000576',
        'aachen_000000_000019'
    ]
    _write_list(root, 'frankfurt_000000')  # a sequence: all its snippets
    dataset = CityscapesSeqDataset(
        data_root=root, ann_file='snippets.txt', test_mode=True)
    assert [it['video_id'] for it in _items(dataset)] == [
        'frankfurt_000000_000294', 'frankfurt_000000_000576'
    ]


def test_val_sam_option(root):
    os.rename(osp.join(root, FRAMES, 'train'), osp.join(root, FRAMES, 'val'))
    # ETC's list starts with frankfurt_000000_001016, _001236, ...
    for number in range(997, 1027):
        stem = f'frankfurt_000000_{number:06d}'
        os.link(
            _frame_path(root, 'aachen_000000_000000', split='val'),
            _frame_path(root, stem, split='val'))
    with pytest.raises(FileNotFoundError) as error:
        CityscapesSeqDataset(
            data_root=root, split='val', ann_file='val_sam', test_mode=True)
    assert SNIPPET_LISTS['val_sam'] in str(error.value)
    assert 'line 5' in str(error.value)  # after the 3 header lines
    assert 'frankfurt_000000_001236' in str(error.value)


def test_val_sam_file():
    with open(SNIPPET_LISTS['val_sam']) as f:
        lines = f.read().splitlines()
    header = [line for line in lines if line.startswith('#')]
    names = [line for line in lines if not line.startswith('#')]
    assert 'irfanICMLL/ETC-Real-time-Per-frame-Semantic-video-segmentation' \
        in header[0]
    assert 'val_video_list_sam.lst' in header[1]
    assert len(names) == len(set(names)) == 108
    assert all(re.fullmatch(r'[a-z]+_\d{6}_\d{6}', n) for n in names)
    assert Counter(n.split('_')[0] for n in names) == dict(
        frankfurt=56, lindau=20, munster=32)
    # outside frankfurt every snippet is a whole sequence (frame 19)
    assert all(n.endswith('_000019') for n in names
               if not n.startswith('frankfurt'))


def test_missing_split_folder(root):
    with pytest.raises(FileNotFoundError,
                       match=re.escape(osp.join(root, FRAMES, 'val'))):
        CityscapesSeqDataset(data_root=root, split='val', test_mode=True)


def test_list_errors(root):
    _write_list(root, 'aachen_000000', 'aachen_000009')
    with pytest.raises(FileNotFoundError,
                       match='line 2 names snippet or sequence '
                       '"aachen_000009"'):
        CityscapesSeqDataset(data_root=root, ann_file='snippets.txt')
    _write_list(root, 'frankfurt_000000_000294', 'frankfurt_000000')
    with pytest.raises(ValueError, match='line 2 selects'):
        CityscapesSeqDataset(data_root=root, ann_file='snippets.txt')


def test_wrong_frame_count(root):
    missing = _frame_path(root, 'aachen_000000_000010')
    os.remove(missing)
    with pytest.raises(ValueError) as error:
        CityscapesSeqDataset(data_root=root, test_mode=True)
    assert _frame_path(root, 'aachen_000000_000000') in str(error.value)
    assert '000000..000009' in str(error.value)
    assert 'are 10 consecutive frames, expected a snippet of 30' in str(
        error.value)
    os.link(_frame_path(root, 'aachen_000000_000011'), missing)
    os.link(missing, _frame_path(root, 'aachen_000000_000030'))
    with pytest.raises(ValueError, match='are 31 consecutive frames'):
        CityscapesSeqDataset(data_root=root, test_mode=True)


def test_bad_frame_files(root):
    png = _frame_path(root, 'aachen_000001_000003')
    os.link(_frame_path(root, 'aachen_000001_000003', '.jpg'), png)
    with pytest.raises(ValueError, match=re.escape(png)):
        CityscapesSeqDataset(data_root=root, test_mode=True)
    os.remove(png)
    odd = _frame_path(root, 'aachen_0001_000003')
    os.link(_frame_path(root, 'aachen_000000_000003'), odd)
    with pytest.raises(ValueError,
                       match=re.escape(odd) + ': not a Cityscapes frame'):
        CityscapesSeqDataset(data_root=root, test_mode=True)


def test_label_size_differs_from_frame(root, write_png):
    label = _label_path(root, 'aachen_000000_000019')
    write_png(label, np.zeros((H + 1, W), np.uint8))
    dataset = CityscapesSeqDataset(data_root=root, ref_offsets=[])
    with pytest.raises(ValueError, match=re.escape(label)):
        LOAD(VideoFrameSample()(dataset.get_data_info(0)))


def test_base_config(root):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                 'cityscapes_seq.py'))
    train = cfg.train_dataloader.dataset
    train.data_root = root
    assert len(DATASETS.build(train)) == 3
    val = cfg.val_dataloader.dataset
    val.update(data_root=root, split='train')
    clips = _items(DATASETS.build(val))
    assert [len(clip['frames']) for clip in clips] == [30] * 5


def test_real_cityscapes_seq():
    data_root = osp.join(
        osp.dirname(REPO_ROOT), 'shared', 'data', 'cityscapes_seq')
    if not osp.isdir(data_root):
        pytest.skip(f'{data_root} is absent: the real Cityscapes snippets '
                    'live in the read-only shared folder beside the '
                    'repository')
    clips = _items(CityscapesSeqDataset(data_root=data_root, test_mode=True))
    assert [clip['video_id'] for clip in clips] == [
        f'aachen_{i:06d}_000019' for i in range(6)
    ]
    labelled = [
        clip['video_id'] for clip in clips
        if any(f['seg_map_path'] for f in clip['frames'])
    ]
    assert labelled == [f'aachen_{i:06d}_000019' for i in range(4)]
    train = CityscapesSeqDataset(data_root=data_root, ref_offsets=[])
    item = train.get_data_info(0)
    assert item['video_id'] == 'aachen_000000_000019'
    assert item['key_frame_index'] == 19
    results = Compose([VideoFrameSample(), LOAD])(item)
    (label, ) = results['gt_seg_map']
    assert label.shape == (1024, 2048) and label.dtype == np.uint8
    assert set(np.unique(label)) <= set(range(19)) | {255}
