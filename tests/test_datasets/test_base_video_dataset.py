# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

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
