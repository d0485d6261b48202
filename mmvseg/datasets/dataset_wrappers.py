# Copyright (c) mmvseg contributors. All rights reserved.
"""Two-stream training items: a labelled source clip and a target clip.

Unsupervised domain adaptation for video segmentation trains on a labelled
*source* domain and an unlabelled *target* domain at once, e.g. TPS (Xing et
al., "Domain Adaptive Video Segmentation via Temporal Pseudo Supervision",
ECCV 2022, arXiv:2207.02372; xing0047/TPS
``tps/domain_adaptation/train_video_UDA.py``: one source and one target
batch per iteration from two independently shuffled loaders). Here a single
dataset yields both, in the per-item layout of mmdet's ``MultiBranch``
transform (``mmdet/datasets/transforms/wrappers.py``), so one mmengine
dataloader and sampler serve both domains and
:class:`~mmvseg.models.data_preprocessors.MultiBranchVideoDataPreProcessor`
preprocesses each branch.
"""
import copy
from collections.abc import Mapping
from typing import Any, Union

import numpy as np
from torch.utils.data import Dataset

from mmvseg.registry import DATASETS

#: The branches of a two-domain item.
BRANCHES = ('source', 'target')


@DATASETS.register_module()
class TwoDomainDataset(Dataset):
    """Pair every source item with a target item drawn at random.

    Item ``i`` is source item ``i`` and target item ``j``, ``j`` drawn
    uniformly (with replacement) from ``range(len(target))`` with NumPy's
    global random state at every load, so the target order is independent
    of the sampler's order (shuffling) of the source. mmengine seeds that
    state in the main process and in every dataloader worker
    (``worker_init_fn``), so a seeded run draws the same ``j``; as for every
    random transform, workers that are not persistent are re-seeded alike
    at each epoch and repeat their draws (the pairs still change with the
    shuffled source order). The length (the epoch) is the source's. Each
    dataset runs its own pipeline, which must
    end by packing the item into ``dict(inputs=..., data_samples=...)``
    (:class:`PackVideoSegInputs`)::

        dict(inputs=dict(source=Tensor (T_s, 3, H_s, W_s),
                         target=Tensor (T_t, 3, H_t, W_t)),
             data_samples=dict(source=VideoSegDataSample,
                               target=VideoSegDataSample))

    mmengine's ``pseudo_collate`` turns a batch of them into
    ``dict(inputs=dict(source=[N tensors], target=[N tensors]),
    data_samples=dict(source=[N samples], target=[N samples]))``, the input
    of :class:`~mmvseg.models.data_preprocessors.
    MultiBranchVideoDataPreProcessor`. The metainfo (classes, palette) is
    the source's; both datasets must have the same classes.

    Examples:
        A labelled source and an unlabelled target domain, every target
        frame with its two previous frames (the frames t, t-1, t-2 of
        xing0047/TPS ``tps/dataset/CityscapesSeq.py`` at its default
        interval 1)::

            train_dataloader = dict(
                batch_size=1,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                collate_fn=dict(type='pseudo_collate'),
                dataset=dict(
                    type='TwoDomainDataset',
                    source=dict(type='BaseVideoSegDataset', ...,
                                ref_offsets=[-1], pipeline=source_pipeline),
                    target=dict(type='BaseVideoSegDataset', ...,
                                ref_offsets=[-2, -1], key_frames='all',
                                allow_unlabelled_videos=True,
                                pipeline=target_pipeline)))
            model = dict(..., data_preprocessor=dict(
                type='MultiBranchVideoDataPreProcessor',
                data_preprocessor=dict(type='VideoSegDataPreProcessor',
                                       ...)))

    Args:
        source: the labelled dataset, or its config (built from
            ``DATASETS``).
        target: the dataset of the second branch, or its config.

    Raises:
        ValueError: a dataset in test mode (the random pairing is for
            training), an empty target, or classes that differ.
        TypeError: (at load) an item of either dataset that is not a packed
            ``dict(inputs=..., data_samples=...)``; the message names the
            branch and the dataset.
    """

    def __init__(self, source: Union[dict, Dataset],
                 target: Union[dict, Dataset]) -> None:
        self.source = _build(source)
        self.target = _build(target)
        for name, dataset in zip(BRANCHES, (self.source, self.target)):
            if getattr(dataset, 'test_mode', False):
                raise ValueError(
                    f'{self.__class__.__name__}: the {name} dataset '
                    f'{type(dataset).__name__} is in test mode; the '
                    'two-domain pairing is for training (evaluate each '
                    'domain with its own dataset)')
        if len(self.target) == 0:
            raise ValueError(f'{self.__class__.__name__}: the target dataset '
                             f'{type(self.target).__name__} is empty')
        classes = [
            getattr(dataset, 'metainfo', {}).get('classes')
            for dataset in (self.source, self.target)
        ]
        if None not in classes and tuple(classes[0]) != tuple(classes[1]):
            raise ValueError(
                f'{self.__class__.__name__}: source classes {classes[0]} '
                f'differ from target classes {classes[1]}')

    @property
    def metainfo(self) -> dict:
        """A copy of the source dataset's metainfo (empty if it has none)."""
        return copy.deepcopy(getattr(self.source, 'metainfo', {}))

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, idx: int) -> dict:
        """Source item ``idx`` and a random target item, see the class doc."""
        target_idx = int(np.random.randint(len(self.target)))
        items = dict(
            source=self._packed('source', self.source, idx),
            target=self._packed('target', self.target, target_idx))
        return dict(
            inputs={name: item['inputs']
                    for name, item in items.items()},
            data_samples={
                name: item['data_samples']
                for name, item in items.items()
            })

    @staticmethod
    def _packed(branch: str, dataset: Any, idx: int) -> dict:
        """Item ``idx`` of ``dataset``, checked to be packed."""
        item = dataset[idx]
        if not isinstance(item, Mapping) or not {'inputs', 'data_samples'
                                                 } <= set(item):
            raise TypeError(
                f'TwoDomainDataset: item {idx} of the {branch} dataset '
                f'{type(dataset).__name__} must be dict(inputs=..., '
                'data_samples=...) (end its pipeline with '
                f'PackVideoSegInputs), got {type(item).__name__}'
                + (f' with keys {sorted(item)}' if isinstance(item, Mapping)
                   else ''))
        return item

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(source={self.source!r}, '
                f'target={self.target!r})')


def _build(dataset: Union[dict, Dataset]) -> Any:
    """A dataset, built from ``DATASETS`` when given as a config dict."""
    if isinstance(dataset, Mapping):
        return DATASETS.build(dataset)
    return dataset
