# Copyright (c) mmvseg contributors. All rights reserved.
from . import metrics

__all__ = ['metrics']
