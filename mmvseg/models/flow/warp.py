# Copyright (c) mmvseg contributors. All rights reserved.
"""Backward warping with optical flow.

Convention: ``flow`` is ``f_{t->s}`` on the grid of frame t, in pixels,
channel 0 = x (columns), channel 1 = y (rows), and

    flow_warp(x_s, f_{t->s})(p) = x_s(p + f_{t->s}(p)).

The default (``legacy_grid=False``) interpolates in pixel units, so an integer
flow moves values exactly (nearest and bilinear alike, on any size). This is
the same sampling as ``grid_sample(align_corners=True)`` with the grid
``2 (x + u) / (W - 1) - 1`` but free of its float32 normalisation round trip,
which can turn an exact integer into 1.9999998.

``legacy_grid=True`` reproduces the warp of FraunhoferIVI/SSP
(``models/opt_flow.py``) and VSPW ``TC_cal.py``: the same grid fed to
``grid_sample(align_corners=False)``, i.e. the sample position is
``(x + u) W / (W - 1) - 0.5``. With nearest mode and zero flow, the last
column/row can fall outside and become 0 (example: 1x4 map [1, 2, 3, 4] ->
[1, 2, 3, 0]).
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

_MODES = ('nearest', 'bilinear')
_PADDINGS = ('zeros', 'border')


def _check_inputs(x: Tensor, flow: Tensor, mode: str, padding: str) -> None:
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
    if padding not in _PADDINGS:
        raise ValueError(
            f'padding must be one of {_PADDINGS}, got {padding!r}')
    if x.dim() != 4 or flow.dim() != 4 or flow.size(1) != 2:
        raise ValueError('expected x (N, C, H, W) and flow (N, 2, H, W), got '
                         f'{tuple(x.shape)} and {tuple(flow.shape)}')
    if x.shape[0] != flow.shape[0] or x.shape[2:] != flow.shape[2:]:
        raise ValueError('x and flow must share N, H and W, got '
                         f'{tuple(x.shape)} and {tuple(flow.shape)}')


def _gather(x: Tensor, xi: Tensor, yi: Tensor, padding: str) -> Tensor:
    """Values of ``x`` (N, C, H, W) at integer positions (N, H, W).

    Out-of-image positions read 0 (``zeros``) or the nearest border pixel
    (``border``).
    """
    n, c, h, w = x.shape
    inside = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
    index = yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)
    index = index.reshape(n, 1, h * w).expand(n, c, h * w)
    values = x.reshape(n, c, h * w).gather(2, index).reshape(n, c, h, w)
    if padding == 'zeros':
        values = values * inside.unsqueeze(1).to(values.dtype)
    return values


def _sample_positions(flow: Tensor) -> Tuple[Tensor, Tensor]:
    """Pixel positions p + f(p) as (N, H, W) float tensors (x, y)."""
    n, _, h, w = flow.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=flow.device, dtype=flow.dtype),
        torch.arange(w, device=flow.device, dtype=flow.dtype),
        indexing='ij')
    return xs + flow[:, 0], ys + flow[:, 1]


def _legacy_warp(x: Tensor, flow: Tensor, mode: str, padding: str) -> Tensor:
    _, _, h, w = x.shape
    px, py = _sample_positions(flow)
    grid = torch.stack(
        (2.0 * px / max(w - 1, 1) - 1.0, 2.0 * py / max(h - 1, 1) - 1.0),
        dim=-1)
    return F.grid_sample(
        x, grid, mode=mode, padding_mode=padding, align_corners=False)


def flow_warp(x: Tensor,
              flow: Tensor,
              mode: str = 'bilinear',
              padding: str = 'zeros',
              legacy_grid: bool = False,
              return_mask: bool = False) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Fetch ``x`` (a map of frame s) into frame t's grid with ``f_{t->s}``.

    Args:
        x: (N, C, H, W) float map of frame s (logits, features, images, or
            labels cast to float).
        flow: (N, 2, H, W) float flow ``f_{t->s}`` in pixels.
        mode: ``'nearest'`` (round half to even, as PyTorch) or
            ``'bilinear'``.
        padding: ``'zeros'`` (samples outside frame s read 0; bilinear
            neighbours outside read 0) or ``'border'`` (positions clamped to
            the image, equal to FlowNet2 ``Resample2d``).
        legacy_grid: reproduce the ``align_corners=False`` warp of
            FraunhoferIVI/SSP (see the module docstring).
        return_mask: also return where the sample position lies inside
            frame s.

    Returns:
        Tensor: (N, C, H, W) warped map, same dtype as ``x``; with
        ``return_mask`` also a (N, 1, H, W) bool validity mask.

    Raises:
        ValueError: unknown mode/padding, or shapes that do not match.
    """
    _check_inputs(x, flow, mode, padding)
    flow = flow.to(x.dtype) if x.is_floating_point() else flow.float()
    xf = x if x.is_floating_point() else x.float()
    if legacy_grid:
        out = _legacy_warp(xf, flow, mode, padding)
    else:
        px, py = _sample_positions(flow)
        if mode == 'nearest':
            out = _gather(xf, torch.round(px).long(), torch.round(py).long(),
                          padding)
        else:
            if padding == 'border':
                px = px.clamp(0, x.shape[3] - 1)
                py = py.clamp(0, x.shape[2] - 1)
            x0, y0 = torch.floor(px), torch.floor(py)
            ax = (px - x0).unsqueeze(1)
            ay = (py - y0).unsqueeze(1)
            x0, y0 = x0.long(), y0.long()
            top = _gather(xf, x0, y0, padding) * (1 - ax) + _gather(
                xf, x0 + 1, y0, padding) * ax
            bottom = _gather(xf, x0, y0 + 1, padding) * (1 - ax) + _gather(
                xf, x0 + 1, y0 + 1, padding) * ax
            out = top * (1 - ay) + bottom * ay
    out = out.to(x.dtype)
    if not return_mask:
        return out
    px, py = _sample_positions(flow)
    h, w = x.shape[2:]
    mask = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    return out, mask.unsqueeze(1)


def resize_flow(flow: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bring a flow field to another grid, values rescaled with it.

    The field is resized bilinearly (``align_corners=False``) and its x / y
    components are multiplied by ``w / W`` / ``h / H``, so a displacement
    keeps its meaning in the pixels of the new grid (a stride-4 feature map
    gets a quarter of the full-resolution flow, as DFF does:
    FraunhoferIVI/SSP ``models/video/models_consistency.py``).

    Args:
        flow: (N, 2, H, W) float flow in pixels of the (H, W) grid.
        size: (h, w) of the target grid.

    Returns:
        Tensor: (N, 2, h, w) flow in pixels of the (h, w) grid (``flow``
        itself when the size already matches).

    Raises:
        ValueError: ``flow`` is not (N, 2, H, W).
    """
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'flow must be (N, 2, H, W), got {tuple(flow.shape)}')
    h, w = size
    height, width = flow.shape[2:]
    if (h, w) == (height, width):
        return flow
    resized = F.interpolate(
        flow, size=(h, w), mode='bilinear', align_corners=False)
    scale = resized.new_tensor([w / width, h / height]).view(1, 2, 1, 1)
    return resized * scale


def warp_features(x: Tensor,
                  flow: Tensor,
                  mode: str = 'bilinear',
                  padding: str = 'zeros',
                  legacy_grid: bool = False) -> Tensor:
    """Warp a map of any stride with a full-resolution flow.

    ``flow_warp(x, resize_flow(flow, x.shape[2:]))``: the flow ``f_{t->s}``
    computed on the frames is resized to the grid of ``x`` (a feature map
    or logits of frame s at stride 4, 8, ...) and its values scaled, the
    way DFF and NetWarp warp backbone and head features.

    Args:
        x: (N, C, h, w) float map of frame s.
        flow: (N, 2, H, W) float flow ``f_{t->s}`` in pixels of the frames.
        mode, padding, legacy_grid: as :func:`flow_warp`.

    Returns:
        Tensor: (N, C, h, w) ``x`` on frame t's grid.

    Raises:
        ValueError: as :func:`flow_warp` and :func:`resize_flow`.
    """
    return flow_warp(
        x,
        resize_flow(flow, tuple(x.shape[2:])),
        mode=mode,
        padding=padding,
        legacy_grid=legacy_grid)
