# Copyright (c) mmvseg contributors. All rights reserved.
from .config_scope import SCOPE, register_config_scope
from .io import (check_label, list_images, read_flow, read_image,
                 read_indexed_png, read_label, write_flow,
                 write_flow_int16_x10)

__all__ = [
    'SCOPE', 'register_config_scope', 'check_label', 'list_images',
    'read_flow', 'read_image', 'read_indexed_png', 'read_label', 'write_flow',
    'write_flow_int16_x10'
]
