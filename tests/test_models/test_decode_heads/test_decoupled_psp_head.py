# Copyright (c) mmvseg contributors. All rights reserved.
"""DecoupledPSPHead against PSPNet18's PPM + classifier written out with
torch modules as ETC's model/pspnet_18.py builds them."""
import torch
import torch.nn.functional as F
from torch import nn

from mmvseg.models.decode_heads import DecoupledPSPHead


class ReferencePSP(nn.Module):
    """PPM(512, 128, bins) then conv 3x3 1024 -> 256, BN, ReLU,
    Dropout2d, conv 1x1 -> classes (the repository's ``ppm`` and ``cls``)."""

    def __init__(self, bins=(1, 2, 3, 6), classes=19):
        super().__init__()
        self.features = nn.ModuleList(
            nn.Sequential(
                nn.AdaptiveAvgPool2d(b), nn.Conv2d(512, 128, 1, bias=False),
                nn.BatchNorm2d(128), nn.ReLU()) for b in bins)
        self.cls = nn.Sequential(
            nn.Conv2d(1024, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256), nn.ReLU(), nn.Dropout2d(0.1),
            nn.Conv2d(256, classes, 1))

    def forward(self, x):
        out = [x] + [
            F.interpolate(f(x), x.shape[2:], mode='bilinear',
                          align_corners=True) for f in self.features
        ]
        return self.cls(torch.cat(out, 1))


def test_equals_the_repository_head():
    torch.manual_seed(0)
    reference = ReferencePSP().eval()
    head = DecoupledPSPHead(
        in_channels=512, ppm_channels=128, channels=256, num_classes=19,
        dropout_ratio=0.1, norm_cfg=dict(type='BN'),
        align_corners=True).eval()
    assert sum(p.numel() for p in head.parameters()) == sum(
        p.numel() for p in reference.parameters())
    for i in range(4):
        branch = head.psp_modules[i][1]
        branch.conv.weight.data.copy_(reference.features[i][1].weight)
        branch.bn.load_state_dict(reference.features[i][2].state_dict())
    head.bottleneck.conv.weight.data.copy_(reference.cls[0].weight)
    head.bottleneck.bn.load_state_dict(reference.cls[1].state_dict())
    head.conv_seg.load_state_dict(reference.cls[4].state_dict())
    x = torch.rand(2, 512, 13, 11)
    with torch.no_grad():
        torch.testing.assert_close(head([x]), reference(x), rtol=0,
                                   atol=1e-5)
