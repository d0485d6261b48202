# Copyright (c) mmvseg contributors. All rights reserved.
from typing import List, Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from mmseg.structures import SegDataSample


class VideoSegDataSample(BaseDataElement):
    """A clip of per-frame :class:`mmseg.structures.SegDataSample`.

    The frames are kept in temporal order in ``video_data_samples``; each frame
    carries its own metainfo (``img_path``, ``frame_id``, ``video_id``,
    ``ori_shape``, ...) and, when labelled, ``gt_sem_seg``. Frames without a
    label have no ``gt_sem_seg`` field at all (never a 255-filled map), so
    losses and metrics test ``'gt_sem_seg' in frame``. Predictions are set per
    frame as ``pred_sem_seg`` (and ``seg_logits``).

    The clip-level metainfo ``key_frames_inds`` and ``ref_frames_inds`` index
    ``video_data_samples`` (the names of mmdet's ``TrackDataSample``).

    Examples:
        >>> import torch
        >>> from mmengine.structures import PixelData
        >>> from mmseg.structures import SegDataSample
        >>> from mmvseg.structures import VideoSegDataSample
        >>> frames = []
        >>> for frame_id in range(2):
        ...     frame = SegDataSample(metainfo=dict(frame_id=frame_id))
        ...     frame.gt_sem_seg = PixelData(
        ...         data=torch.full((1, 4, 5), frame_id))
        ...     frames.append(frame)
        >>> sample = VideoSegDataSample(
        ...     metainfo=dict(key_frames_inds=[1], ref_frames_inds=[0]))
        >>> sample.video_data_samples = frames
        >>> len(sample)
        2
        >>> sample[1].frame_id
        1
        >>> sample.get_key_frames()[0].gt_sem_seg.data.unique().tolist()
        [1]
        >>> sample.get_ref_frames()[0].frame_id
        0
        >>> sample.numpy()[0].gt_sem_seg.data.dtype
        dtype('int64')
    """

    @property
    def video_data_samples(self) -> List[SegDataSample]:
        return self._video_data_samples

    @video_data_samples.setter
    def video_data_samples(
            self, value: Union[SegDataSample, Sequence[SegDataSample]]):
        if isinstance(value, SegDataSample):
            value = [value]
        value = list(value)
        for frame in value:
            if not isinstance(frame, SegDataSample):
                raise TypeError('video_data_samples must hold SegDataSample '
                                f'objects, got {type(frame)}')
        self.set_field(value, '_video_data_samples', dtype=list)

    @video_data_samples.deleter
    def video_data_samples(self):
        del self._video_data_samples

    def __getitem__(self, index: int) -> SegDataSample:
        return self.video_data_samples[index]

    def __len__(self) -> int:
        if 'video_data_samples' not in self:
            return 0
        return len(self.video_data_samples)

    def get_key_frames(self) -> List[SegDataSample]:
        """The frames listed in the metainfo ``key_frames_inds``."""
        return [self[i] for i in self.metainfo.get('key_frames_inds', [])]

    def get_ref_frames(self) -> List[SegDataSample]:
        """The frames listed in the metainfo ``ref_frames_inds``."""
        return [self[i] for i in self.metainfo.get('ref_frames_inds', [])]

    def _map_frames(self, method: str, *args,
                    **kwargs) -> 'VideoSegDataSample':
        """A new sample whose frames are ``frame.method(*args, **kwargs)``.

        Fields other than ``video_data_samples`` are converted the way
        :class:`BaseDataElement` converts them: an element that does not
        support the conversion is kept unchanged (never dropped).
        """
        new_data = self.new()
        for key, value in self.items():
            if key == 'video_data_samples':
                value = [getattr(frame, method)(*args, **kwargs)
                         for frame in value]
            elif hasattr(value, method):
                value = getattr(value, method)(*args, **kwargs)
            elif method == 'numpy' and isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            elif method == 'to_tensor' and isinstance(value, np.ndarray):
                value = torch.from_numpy(value)
            new_data.set_data({key: value})
        return new_data

    def to(self, *args, **kwargs) -> 'VideoSegDataSample':
        """Apply ``to`` to every frame and to every other field having it."""
        return self._map_frames('to', *args, **kwargs)

    def cpu(self) -> 'VideoSegDataSample':
        return self._map_frames('cpu')

    def cuda(self) -> 'VideoSegDataSample':
        return self._map_frames('cuda')

    def npu(self) -> 'VideoSegDataSample':
        return self._map_frames('npu')

    def detach(self) -> 'VideoSegDataSample':
        return self._map_frames('detach')

    def numpy(self) -> 'VideoSegDataSample':
        return self._map_frames('numpy')

    def to_tensor(self) -> 'VideoSegDataSample':
        return self._map_frames('to_tensor')

    def clone(self) -> 'VideoSegDataSample':
        return self._map_frames('clone')


VideoSampleList = List[VideoSegDataSample]
