# Copyright (c) mmvseg contributors. All rights reserved.
"""Writing the aerial video clip layout (UAVid-VDD, RuralScapes).

The machinery of ``tools/dataset_converters/uavid_vdd.py`` and
``ruralscapes.py``; the layout it writes is read by
:class:`mmvseg.datasets.aerial_video.AerialClipDataset`, whose module holds
the clip folder names used here. Modules:

- :mod:`.archives`: zip archives and extracted folders, damaged members
  (:class:`MemberError`, :class:`ArchiveSet`, :func:`decode_image`);
- :mod:`.pixels`: colour labels to ids, train ids, frame and label resizes,
  PNG writing;
- :mod:`.output`: the output folder: work folders, resume markers,
  publishing clips and split lists (:class:`ClipOutput`);
- :mod:`.aerial_video`: the conversion itself (:class:`SequenceSource`,
  :class:`AerialVideoConverter`, :func:`natural_key`);
- :mod:`.cli`: the converters' shared options and exit status.
"""
from .aerial_video import AerialVideoConverter, SequenceSource, natural_key
from .archives import ArchiveSet, MemberError, decode_image
from .cli import (add_common_args, converter_options, parse_size, report,
                  run_converter)
from .output import ClipOutput
from .pixels import (Size, colour_lut, pil_resize_frame, pil_resize_label,
                     resize_frame, rgb_to_index, to_train_ids, write_png)

__all__ = [
    'AerialVideoConverter', 'ArchiveSet', 'ClipOutput', 'MemberError',
    'SequenceSource', 'Size', 'add_common_args', 'colour_lut',
    'converter_options', 'decode_image', 'natural_key', 'parse_size',
    'pil_resize_frame', 'pil_resize_label', 'report', 'resize_frame',
    'rgb_to_index', 'run_converter', 'to_train_ids', 'write_png'
]
