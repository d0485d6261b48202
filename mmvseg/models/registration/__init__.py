# Copyright (c) mmvseg contributors. All rights reserved.
from .base import BaseRegistration, homography_problem
from .disk_lightglue import DiskLightGlueRegistration
from .homography import (HomographyRegistration, OpenCVFeatures,
                         scale_homography, warp_homography)

__all__ = [
    'BaseRegistration', 'DiskLightGlueRegistration', 'HomographyRegistration',
    'OpenCVFeatures', 'homography_problem', 'scale_homography',
    'warp_homography'
]
