# Copyright (c) mmvseg contributors. All rights reserved.
"""How a clip reaches a video metric."""
from typing import Any, List

from mmseg.structures import SegDataSample


def clip_frames(sample: Any) -> List[SegDataSample]:
    """The frames of one clip as the Evaluator hands it to a metric.

    mmengine's ``Evaluator.process`` passes ``data_sample.to_dict()``, which
    converts nested data elements but leaves a list of them untouched
    (``mmengine/structures/base_data_element.py``): a
    :class:`~mmvseg.structures.VideoSegDataSample` becomes a dict whose
    ``'video_data_samples'`` is still the list of :class:`SegDataSample`, as
    in mmdet's ``BaseVideoMetric``. A :class:`VideoSegDataSample` itself is
    accepted too.

    Args:
        sample: one clip, a dict or a :class:`VideoSegDataSample`.

    Returns:
        list[SegDataSample]: the frames in clip order.

    Raises:
        TypeError: the sample holds no list of frames.
    """
    frames = (sample.get('video_data_samples')
              if isinstance(sample, dict) else getattr(
                  sample, 'video_data_samples', None))
    if not isinstance(frames, (list, tuple)):
        raise TypeError('a video metric expects clips (dicts or '
                        'VideoSegDataSample with "video_data_samples"), got '
                        f'{type(sample)}')
    return list(frames)
