# Copyright (c) mmvseg contributors. All rights reserved.
from .warp import flow_warp

__all__ = ['flow_warp']
