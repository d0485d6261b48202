# Copyright (c) mmvseg contributors. All rights reserved.
from . import hooks

__all__ = ['hooks']
