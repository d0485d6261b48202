# Copyright (c) mmvseg contributors. All rights reserved.
from .homography import (HomographyRegistration, scale_homography,
                         warp_homography)

__all__ = ['HomographyRegistration', 'scale_homography', 'warp_homography']
