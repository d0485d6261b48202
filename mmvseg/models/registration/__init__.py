# Copyright (c) mmvseg contributors. All rights reserved.
from .disk_lightglue import DiskLightGlueRegistration
from .homography import (HomographyRegistration, scale_homography,
                         warp_homography)

__all__ = [
    'DiskLightGlueRegistration', 'HomographyRegistration', 'scale_homography',
    'warp_homography'
]
