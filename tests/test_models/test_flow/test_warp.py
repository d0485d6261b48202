# Copyright (c) mmvseg contributors. All rights reserved.
import pytest
import torch

from mmvseg.models.flow import flow_warp, resize_flow, warp_features


def _example_p1_and_flow():
    """A 3x3 prediction P1 and flow u=+1 except u(1,1)=0.5 (the example
    worked through for FraunhoferIVI/SSP ``utils/metrics.py``)."""
    p1 = torch.tensor([[0, 0, 0], [0, 0, 1], [2, 2, 2]]).float()[None, None]
    flow = torch.zeros(1, 2, 3, 3)
    flow[:, 0] = 1
    flow[0, 0, 1, 1] = 0.5
    return p1, flow


@pytest.mark.parametrize('mode', ['nearest', 'bilinear'])
@pytest.mark.parametrize('padding', ['zeros', 'border'])
def test_integer_shift_is_exact_on_odd_non_square(mode, padding):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 9, 11) * 255
    flow = torch.zeros(2, 2, 9, 11)
    flow[:, 0], flow[:, 1] = 2, -1
    out, mask = flow_warp(x, flow, mode, padding, return_mask=True)
    # out(y, x) = x(y - 1, x + 2) where that lies inside the image
    assert torch.equal(out[:, :, 1:, :9], x[:, :, :-1, 2:])
    assert torch.equal(mask[:, 0, 1:, :9], torch.ones(2, 8, 9, dtype=bool))
    assert mask.sum() == 2 * 8 * 9
    if padding == 'zeros':
        assert torch.all(out[:, :, 0] == 0) and torch.all(out[:, :, :, 9:] == 0)
    else:  # border: clamped positions
        assert torch.equal(out[:, :, 0, :9], x[:, :, 0, 2:])
        assert torch.equal(out[:, :, 1:, 9], x[:, :, :-1, 10])


def test_bilinear_border_equals_resample2d_example():
    p1, flow = _example_p1_and_flow()
    out = flow_warp(p1, flow, 'bilinear', 'border')
    expected = torch.tensor([[0, 0, 0], [0, 0.5, 1], [2, 2, 2]])
    assert torch.equal(out[0, 0], expected)
    assert torch.equal(out.to(torch.uint8)[0, 0],
                       torch.tensor([[0, 0, 0], [0, 0, 1], [2, 2, 2]],
                                    dtype=torch.uint8))


def test_legacy_nearest_example_and_last_column():
    p1, flow = _example_p1_and_flow()
    out = flow_warp(p1, flow, 'nearest', 'zeros', legacy_grid=True)
    assert torch.equal(out[0, 0],
                       torch.tensor([[0., 0, 0], [0, 1, 0], [2, 2, 0]]))
    row = torch.tensor([[1., 2, 3, 4]])[None, None]
    zero = torch.zeros(1, 2, 1, 4)
    assert flow_warp(row, zero, 'nearest', legacy_grid=True).flatten(
    ).tolist() == [1, 2, 3, 0]
    assert flow_warp(row, zero, 'nearest').flatten().tolist() == [1, 2, 3, 4]


def test_nearest_rounds_half_to_even_and_keeps_gradients():
    x = torch.tensor([[10., 20, 30, 40]])[None, None].requires_grad_()
    flow = torch.zeros(1, 2, 1, 4)
    flow[:, 0] = 0.5  # positions 0.5, 1.5, 2.5, 3.5 -> 0, 2, 2, 4 (outside)
    out = flow_warp(x, flow, 'nearest')
    assert out.flatten().tolist() == [10, 30, 30, 0]
    out.sum().backward()
    assert x.grad.flatten().tolist() == [1, 0, 2, 0]


def test_bad_arguments():
    x = torch.zeros(1, 3, 4, 5)
    with pytest.raises(ValueError, match='mode'):
        flow_warp(x, torch.zeros(1, 2, 4, 5), mode='cubic')
    with pytest.raises(ValueError, match='padding'):
        flow_warp(x, torch.zeros(1, 2, 4, 5), padding='reflection')
    with pytest.raises(ValueError, match='share N, H and W'):
        flow_warp(x, torch.zeros(1, 2, 4, 6))


def test_resize_flow_scales_values_per_axis():
    flow = torch.zeros(1, 2, 16, 32)
    flow[:, 0], flow[:, 1] = 8.0, -4.0
    small = resize_flow(flow, (4, 4))  # x / 8, y / 4
    assert small.shape == (1, 2, 4, 4)
    assert torch.all(small[:, 0] == 1.0) and torch.all(small[:, 1] == -1.0)
    assert resize_flow(flow, (16, 32)) is flow
    with pytest.raises(ValueError, match=r'\(N, 2, H, W\)'):
        resize_flow(torch.zeros(1, 3, 4, 4), (2, 2))


def test_warp_features_moves_a_stride_4_map_by_a_quarter_of_the_flow():
    feat = torch.arange(2 * 4 * 5, dtype=torch.float32).view(1, 2, 4, 5)
    flow = torch.zeros(1, 2, 16, 20)
    flow[:, 0] = 4.0  # one feature pixel to the right at stride 4
    warped = warp_features(feat, flow)
    assert torch.equal(warped[..., :-1], feat[..., 1:])
    assert torch.all(warped[..., -1] == 0)  # sampled outside: zeros
    torch.testing.assert_close(
        warp_features(feat, flow, mode='nearest', legacy_grid=True),
        flow_warp(feat, torch.ones(1, 2, 4, 5) * torch.tensor(
            [1., 0.]).view(1, 2, 1, 1), mode='nearest', legacy_grid=True))
