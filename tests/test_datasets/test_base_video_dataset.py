# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest

from mmvseg.datasets import BaseVideoSegDataset


def _frame_indices(item):
    return [frame['frame_index'] for frame in item['frames']]


def test_training_items_per_labelled_frame(make_videos, build_dataset):
    root = make_videos({'v0': (5, [1, 3]), 'v1': (3, [0, 1, 2])})
    dataset = build_dataset(root, ref_offsets=[-1])
    assert len(dataset) == 5
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(it['video_id'], it['key_frame_index']) for it in items] == [
        ('v0', 1), ('v0', 3), ('v1', 0), ('v1', 1), ('v1', 2)]
    assert _frame_indices(items[0]) == [0, 1]
    assert items[0]['key_frame_flags'] == [False, True]
    assert items[0]['video_length'] == 5
    ref, key = items[0]['frames']
    assert key['seg_map_path'].endswith(osp.join('ann', 'v0', '00001.png'))
    assert ref['seg_map_path'] is None  # frame 0 of v0 is unlabelled
    assert key['img_path'].endswith(osp.join('img', 'v0', '00001.png'))
    for frame in items[0]['frames']:
        assert frame['video_id'] == 'v0' and frame['video_length'] == 5
        assert frame['num_classes'] == 3
        assert frame['label_map'] is None
        assert frame['reduce_zero_label'] is False
        assert frame['seg_fields'] == []
    assert [f['frame_id'] for f in items[1]['frames']] == [2, 3]


def test_ref_offsets_clamped_at_both_ends(make_videos, build_dataset):
    root = make_videos({'v': (5, range(5))})
    dataset = build_dataset(root, ref_offsets=[1, -1, -2])
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    # frames ordered by offset (-2, -1, key, +1), indices clamped to [0, 4]
    assert [_frame_indices(it) for it in items] == [
        [0, 0, 0, 1], [0, 0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 4]
    ]
    for item in items:
        assert item['key_frame_flags'] == [False, False, True, False]
    assert dataset.ref_offsets == (-2, -1, 1)


def test_seg_fields_are_fresh_lists_after_serialisation(
        make_videos, build_dataset):
    root = make_videos({'v': (3, range(3))})
    for serialize_data in (True, False):
        dataset = build_dataset(
            root, ref_offsets=[-1], serialize_data=serialize_data)
        # item 0: the clamped reference is the key frame itself
        item = dataset.get_data_info(0)
        ref, key = item['frames']
        assert ref['img_path'] == key['img_path']
        assert ref is not key
        assert ref['seg_fields'] is not key['seg_fields']
        ref['seg_fields'].append('gt_seg_map')
        assert key['seg_fields'] == []
        # and nothing leaked into the stored data
        assert dataset.get_data_info(0)['frames'][0]['seg_fields'] == []


def test_test_clips(make_videos, build_dataset):
    root = make_videos({'a': (7, [0, 6]), 'b': (2, [])})
    dataset = build_dataset(root, clip_len=3, test_mode=True)
    items = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(it['video_id'], it['clip_id'], it['clip_start'],
             _frame_indices(it)) for it in items] == [
                 ('a', 0, 0, [0, 1, 2]), ('a', 1, 3, [3, 4, 5]),
                 ('a', 2, 6, [6]), ('b', 0, 0, [0, 1])]
    assert all(all(it['key_frame_flags']) for it in items)
    assert [len(it['key_frame_flags']) for it in items] == [3, 3, 1, 2]
    assert items[0]['frames'][1]['seg_map_path'] is None
    assert items[2]['frames'][0]['seg_map_path'] is not None
    whole = build_dataset(root, clip_len=None, test_mode=True)
    assert [len(whole.get_data_info(i)['frames']) for i in range(2)] == [7, 2]


def test_ann_file_selects_videos(make_videos, build_dataset, tmp_path):
    root = make_videos({'a': (2, [0]), 'b': (2, [1])})
    with open(osp.join(root, 'split.txt'), 'w') as f:
        f.write('b\n')
    dataset = build_dataset(root, ann_file='split.txt')
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['video_id'] == 'b'
    with open(osp.join(root, 'split.txt'), 'w') as f:
        f.write('missing\n')
    with pytest.raises(FileNotFoundError, match='missing'):
        build_dataset(root, ann_file='split.txt')


def test_missing_frame_is_named(make_videos, build_dataset):
    root = make_videos({'v': (3, [0, 1, 2])})
    frame = osp.join(root, 'img', 'v', '00001.png')
    os.remove(frame)  # its label is still there
    with pytest.raises(FileNotFoundError, match='00001.png'):
        build_dataset(root)


def test_missing_frame_from_subclass_is_named(make_videos, tmp_path):
    root = make_videos({'v': (2, [0])})

    class ListedVideos(BaseVideoSegDataset):

        def load_videos(self):
            frames = [
                dict(img_path=osp.join(root, 'img', 'v', f'{i:05d}.png'),
                     seg_map_path=None, frame_id=i) for i in range(3)
            ]
            frames[0]['seg_map_path'] = osp.join(root, 'ann', 'v',
                                                 '00000.png')
            return [dict(video_id='v', frames=frames)]

    with pytest.raises(FileNotFoundError, match='00002.png'):
        ListedVideos(metainfo=dict(classes=('a', )))


def test_video_without_frames_is_named(make_videos, build_dataset):
    root = make_videos({'full': (2, [0])})
    os.makedirs(osp.join(root, 'img', 'empty_video'))
    with pytest.raises(ValueError, match='empty_video'):
        build_dataset(root)


def test_bad_arguments(make_videos, build_dataset):
    root = make_videos({'v': (2, [])})
    with pytest.raises(ValueError, match='no labelled frame'):
        build_dataset(root)
    for offsets in ([0], [-1, -1], [0.5]):
        with pytest.raises(ValueError, match='ref_offsets'):
            build_dataset(root, ref_offsets=offsets)
    with pytest.raises(ValueError, match='clip_len'):
        build_dataset(root, clip_len=0, test_mode=True)


def _items(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def test_all_frames_are_key_frames(make_videos, build_dataset):
    root = make_videos({'v': (4, [1])})
    assert len(build_dataset(root)) == 1  # key_frames='labelled'
    items = _items(build_dataset(root, ref_offsets=[-1], key_frames='all'))
    assert [it['key_frame_index'] for it in items] == [0, 1, 2, 3]
    assert [_frame_indices(it) for it in items] == [[0, 0], [0, 1], [1, 2],
                                                    [2, 3]]
    assert all(it['key_frame_flags'] == [False, True] for it in items)
    assert [it['frames'][1]['seg_map_path'] is None
            for it in items] == [True, False, True, True]


def test_strided_key_frames_give_disjoint_pairs(make_videos, build_dataset):
    """KD-SSP's items: frames 1, 3, 5 with the previous frame, labelled or
    not, i.e. the pairs (0, 1), (2, 3), (4, 5) of a 7-frame video."""
    root = make_videos({'v': (7, [2]), 'u': (3, [])})
    dataset = build_dataset(
        root,
        ref_offsets=[-1],
        key_frames=dict(start=1, step=2),
        allow_unlabelled_videos=True)
    items = _items(dataset)
    assert [(it['video_id'], it['key_frame_index']) for it in items] == [
        ('u', 1), ('v', 1), ('v', 3), ('v', 5)]
    assert [_frame_indices(it) for it in items] == [[0, 1], [0, 1], [2, 3],
                                                    [4, 5]]
    with pytest.raises(ValueError, match='"u".*allow_unlabelled'):
        build_dataset(root, key_frames=dict(start=1, step=2))
    every_third = _items(build_dataset(
        root, ref_offsets=[], key_frames=dict(start=0, step=3),
        allow_unlabelled_videos=True))
    assert [(it['video_id'], it['key_frame_index'])
            for it in every_third] == [('u', 0), ('v', 0), ('v', 3),
                                       ('v', 6)]


def test_videos_without_labels(make_videos, build_dataset):
    root = make_videos({'labelled': (2, [0]), 'unlabelled': (3, [])})
    # key_frames='labelled': the unlabelled video adds no item (as before)
    assert len(build_dataset(root)) == 1
    with pytest.raises(ValueError, match='"unlabelled".*allow_unlabelled'):
        build_dataset(root, key_frames='all')
    dataset = build_dataset(
        root, key_frames='all', allow_unlabelled_videos=True)
    assert [(it['video_id'], it['key_frame_index'])
            for it in _items(dataset)] == [('labelled', 0), ('labelled', 1),
                                           ('unlabelled', 0),
                                           ('unlabelled', 1),
                                           ('unlabelled', 2)]
    with open(osp.join(root, 'target.txt'), 'w') as f:
        f.write('unlabelled\n')
    dataset = build_dataset(
        root, ann_file='target.txt', key_frames='all',
        allow_unlabelled_videos=True)
    assert len(dataset) == 3
    for item in _items(dataset):
        assert all(f['seg_map_path'] is None for f in item['frames'])


def test_bad_key_frame_arguments(make_videos, build_dataset):
    root = make_videos({'v': (2, [0])})
    for bad in ('unlabelled', dict(start=1), dict(start=-1, step=2),
                dict(start=0, step=0), dict(start=0, step=1.5),
                dict(start=0, step=2, stop=4)):
        with pytest.raises(ValueError, match='key_frames must be one of'):
            build_dataset(root, key_frames=bad)
    with pytest.raises(ValueError, match="needs key_frames='all' or a "
                       'stride'):
        build_dataset(root, allow_unlabelled_videos=True)
    with pytest.raises(ValueError, match='allow_unlabelled_videos must be'):
        build_dataset(root, key_frames='all', allow_unlabelled_videos='yes')


ETC_REFS = dict(choices=[3, 2, 1, -1, -2], num=1)


def test_random_offsets_drawn_at_each_load(make_videos, build_dataset):
    root = make_videos({'v': (6, [0, 3, 5])})
    dataset = build_dataset(root, ref_offsets=ETC_REFS)
    assert len(dataset) == 3
    assert dataset.ref_offsets.candidates == (-2, -1, 1, 2, 3)
    # clamped to [0, 5]: the possible references of keys 0, 3 and 5
    expected = {0: {0, 1, 2, 3}, 3: {1, 2, 4, 5}, 5: {3, 4, 5}}
    np.random.seed(0)
    loads = [[dataset.get_data_info(i) for i in range(3)] for _ in range(60)]
    for idx, key in enumerate((0, 3, 5)):
        seen = set()
        for items in loads:
            item = items[idx]
            assert set(item) == {
                'video_id', 'video_length', 'key_frame_index', 'frames',
                'key_frame_flags', 'sample_idx'
            }
            assert item['key_frame_index'] == key
            assert item['key_frame_flags'] == [True, False]  # key first
            key_frame, ref = item['frames']
            assert key_frame['frame_index'] == key
            assert key_frame['seg_map_path'] is not None
            seen.add(ref['frame_index'])
        assert seen == expected[key]
    np.random.seed(0)
    assert [_frame_indices(dataset.get_data_info(i)) for i in range(3)] == [
        _frame_indices(item) for item in loads[0]
    ]


def test_random_offsets_several_references(make_videos, build_dataset):
    root = make_videos({'v': (8, [4])})
    dataset = build_dataset(
        root, ref_offsets=dict(range=(-3, 3), num=3), key_frames='all')
    np.random.seed(1)
    for _ in range(20):
        for item in _items(dataset):
            key, *refs = _frame_indices(item)
            assert item['key_frame_flags'] == [True, False, False, False]
            assert key == item['key_frame_index']
            assert refs == sorted(refs)  # references in temporal order
            assert all(0 <= ref < 8 and abs(ref - key) <= 3 for ref in refs)


def test_random_offsets_fresh_frames(make_videos, build_dataset):
    root = make_videos({'v': (2, [0])})
    for serialize_data in (True, False):
        dataset = build_dataset(
            root, ref_offsets=dict(choices=[-2, -1], num=2),
            serialize_data=serialize_data)
        # both references clamp to frame 0, the key frame itself
        item = dataset.get_data_info(0)
        assert _frame_indices(item) == [0, 0, 0]
        frames = item['frames']
        assert len({id(f) for f in frames}) == 3
        assert len({id(f['seg_fields']) for f in frames}) == 3
        frames[1]['seg_fields'].append('gt_seg_map')
        assert dataset.get_data_info(0)['frames'][1]['seg_fields'] == []


def test_random_offsets_unused_in_test_mode(make_videos, build_dataset):
    root = make_videos({'v': (5, [2])})
    dataset = build_dataset(
        root, ref_offsets=ETC_REFS, clip_len=2, test_mode=True)
    assert [_frame_indices(it) for it in _items(dataset)] == [[0, 1], [2, 3],
                                                              [4]]
