# Copyright (c) mmvseg contributors. All rights reserved.
"""Frame value spaces shared by flow, registration and losses.

Frames leave :meth:`VideoSegDataPreProcessor.denormalize` as RGB in 0-255;
a consumer that wants another space (e.g. the ImageNet-normalised network
inputs of FraunhoferIVI/SSP) converts them here.
"""
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch import Tensor

#: ImageNet channel mean and standard deviation of RGB in 0-255 (timm's
#: constants x 255: 123.675, 116.28, 103.53 and 58.395, 57.12, 57.375).
IMAGENET_MEAN_255 = tuple(255 * v for v in IMAGENET_DEFAULT_MEAN)
IMAGENET_STD_255 = tuple(255 * v for v in IMAGENET_DEFAULT_STD)


def imagenet_normalize(frames_rgb255: Tensor) -> Tensor:
    """(N, 3, H, W) float RGB in 0-255 -> ImageNet-normalised RGB.

    ``(x - mean) / std`` per channel with :data:`IMAGENET_MEAN_255` and
    :data:`IMAGENET_STD_255`, in the dtype and on the device of the input.
    """
    mean = frames_rgb255.new_tensor(IMAGENET_MEAN_255).reshape(1, 3, 1, 1)
    std = frames_rgb255.new_tensor(IMAGENET_STD_255).reshape(1, 3, 1, 1)
    return (frames_rgb255 - mean) / std
