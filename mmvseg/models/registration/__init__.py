# Copyright (c) mmvseg contributors. All rights reserved.
from .base import (BaseRegistration, corner_distance, homography_problem,
                   registration_grid)
from .disk_lightglue import DiskLightGlueRegistration
from .homography import (HomographyRegistration, OpenCVFeatures,
                         scale_homography, warp_homography)

__all__ = [
    'BaseRegistration', 'DiskLightGlueRegistration', 'HomographyRegistration',
    'OpenCVFeatures', 'corner_distance', 'homography_problem',
    'registration_grid', 'scale_homography', 'warp_homography'
]
