# Copyright (c) mmvseg contributors. All rights reserved.
from .io import (check_label, list_images, read_flow, read_image,
                 read_indexed_png, read_label, write_flow)

__all__ = [
    'check_label', 'list_images', 'read_flow', 'read_image',
    'read_indexed_png', 'read_label', 'write_flow'
]
