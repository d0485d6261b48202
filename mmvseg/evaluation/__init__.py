# Copyright (c) mmvseg contributors. All rights reserved.
from . import functional, metrics

__all__ = ['functional', 'metrics']
