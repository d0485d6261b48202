# Copyright (c) mmvseg contributors. All rights reserved.
"""Building blocks of the video baselines: NetWarp's flow refinement and the
temporal clip blocks of TCB."""
from .clip_blocks import ClipOCRBlock, ClipPPMBlock
from .flow_cnn import NetWarpFlowCNN

__all__ = ['ClipOCRBlock', 'ClipPPMBlock', 'NetWarpFlowCNN']
