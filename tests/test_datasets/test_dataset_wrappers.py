# Copyright (c) mmvseg contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch
from video_pipelines import train_pipeline

from mmvseg.datasets import BaseVideoSegDataset, TwoDomainDataset
from mmvseg.registry import DATASETS
from mmvseg.structures import VideoSegDataSample

PIPELINE = train_pipeline()


def _packed(prefix, num):
    """A list used as a dataset of ``num`` packed items (no files)."""
    return [
        dict(inputs=f'{prefix}{i}', data_samples=f'{prefix}{i}')
        for i in range(num)
    ]


@pytest.fixture
def two_domain_root(make_videos):
    """Source videos ``s0``/``s1`` (labelled), target ``t0`` (unlabelled)."""
    root = make_videos({'s0': (3, [1, 2]), 's1': (2, [0]), 't0': (4, [])})
    for split, names in (('source', 's0\ns1\n'), ('target', 't0\n')):
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(names)
    return root


def _domain_cfg(root, split, **kwargs):
    cfg = dict(
        type='BaseVideoSegDataset',
        data_root=root,
        ann_file=f'{split}.txt',
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c')),
        pipeline=PIPELINE)
    cfg.update(kwargs)
    return cfg


def test_items_pair_source_and_target_clips(two_domain_root):
    dataset = DATASETS.build(
        dict(
            type='TwoDomainDataset',
            source=_domain_cfg(two_domain_root, 'source'),
            target=_domain_cfg(
                two_domain_root, 'target', ref_offsets=[-2, -1],
                key_frames='all', allow_unlabelled_videos=True)))
    assert isinstance(dataset, TwoDomainDataset)
    assert isinstance(dataset.source, BaseVideoSegDataset)
    assert len(dataset) == len(dataset.source) == 3
    assert len(dataset.target) == 4
    assert dataset.metainfo['classes'] == ('a', 'b', 'c')
    np.random.seed(0)
    for idx in range(len(dataset)):
        item = dataset[idx]
        assert set(item) == {'inputs', 'data_samples'}
        assert set(item['inputs']) == set(item['data_samples']) == {
            'source', 'target'
        }
        source, target = item['inputs']['source'], item['inputs']['target']
        assert source.dtype == target.dtype == torch.uint8
        assert tuple(source.shape) == (2, 3, 8, 12)
        assert tuple(target.shape) == (3, 3, 8, 12)
        source_sample = item['data_samples']['source']
        target_sample = item['data_samples']['target']
        assert isinstance(source_sample, VideoSegDataSample)
        assert isinstance(target_sample, VideoSegDataSample)
        assert {f.video_id for f in source_sample.video_data_samples} <= {
            's0', 's1'
        }
        assert 'gt_sem_seg' in source_sample.get_key_frames()[0]
        assert [f.video_id for f in target_sample.video_data_samples
                ] == ['t0'] * 3
        assert not any('gt_sem_seg' in f
                       for f in target_sample.video_data_samples)
        # the source item is item idx of the source dataset
        assert source_sample.get_key_frames()[0].img_path == (
            dataset.source.get_data_info(idx)['frames'][1]['img_path'])


def test_target_drawn_at_random_and_seeded():
    dataset = TwoDomainDataset(
        source=_packed('s', 3), target=_packed('t', 4))
    assert len(dataset) == 3
    assert dataset.metainfo == {}
    np.random.seed(0)
    pairs = [(dataset[i % 3]['inputs']['source'],
              dataset[i % 3]['inputs']['target']) for i in range(200)]
    assert [s for s, _ in pairs[:3]] == ['s0', 's1', 's2']
    assert all(item['inputs'] == item['data_samples']
               for item in (dataset[0], dataset[1]))
    # every target item is drawn, for each source item
    for source in ('s0', 's1', 's2'):
        targets = {t for s, t in pairs if s == source}
        assert targets == {'t0', 't1', 't2', 't3'}
    np.random.seed(0)
    assert [(dataset[i % 3]['inputs']['source'],
             dataset[i % 3]['inputs']['target'])
            for i in range(200)] == pairs


def test_bad_datasets(two_domain_root):
    with pytest.raises(ValueError, match='target dataset list is empty'):
        TwoDomainDataset(source=_packed('s', 1), target=[])
    test_cfg = _domain_cfg(two_domain_root, 'target', test_mode=True)
    with pytest.raises(ValueError, match='the target dataset .* test mode'):
        TwoDomainDataset(
            source=_domain_cfg(two_domain_root, 'source'), target=test_cfg)
    other = _domain_cfg(
        two_domain_root, 'target', key_frames='all',
        allow_unlabelled_videos=True, metainfo=dict(classes=('a', 'b')))
    with pytest.raises(ValueError, match='source classes .* differ'):
        TwoDomainDataset(
            source=_domain_cfg(two_domain_root, 'source'), target=other)


def test_unpacked_item_is_named(two_domain_root):
    unpacked = _domain_cfg(two_domain_root, 'source', pipeline=[])
    dataset = TwoDomainDataset(source=_packed('s', 1), target=unpacked)
    with pytest.raises(TypeError, match='target dataset BaseVideoSegDataset'
                       '.*PackVideoSegInputs'):
        dataset[0]
    dataset = TwoDomainDataset(source=[torch.zeros(1)], target=_packed('t', 1))
    with pytest.raises(TypeError, match='item 0 of the source dataset list'):
        dataset[0]
