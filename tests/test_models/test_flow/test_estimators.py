# Copyright (c) mmvseg contributors. All rights reserved.
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from torchvision.models.optical_flow import raft_small

from mmvseg.models.flow import DISFlow, FileFlow, RAFTFlow, flow_warp
from mmvseg.registry import MODELS
from mmvseg.utils import write_flow

SHIFT = (3, -2)  # (dx, dy): frame s is frame t moved right 3, up 2 pixels


def _textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(h, w, 3) uint8 RGB smooth noise."""
    rng = np.random.default_rng(seed)
    noise = rng.random((h // 4, w // 4, 3)).astype(np.float32)
    img = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _shifted_pair(h=96, w=128, shift=SHIFT, seed=0):
    """Frames t and s (1, 3, h, w) uint8 with s(p) = t(p - shift)."""
    dx, dy = shift
    big = _textured(h + 16, w + 16, seed)
    t = big[8:8 + h, 8:8 + w]
    s = big[8 - dy:8 - dy + h, 8 - dx:8 - dx + w]
    return (torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None]
            for a in (t, s))


def test_shifted_pair_construction():
    frame_t, frame_s = _shifted_pair()
    shift = torch.zeros(1, 2, 96, 128)
    shift[:, 0], shift[:, 1] = SHIFT
    warped = flow_warp(frame_s.float(), shift)
    # p + shift lies inside frame s except in the first 2 rows / last 3 cols
    assert torch.equal(warped[..., 2:, :-3], frame_t[..., 2:, :-3].float())


@pytest.mark.parametrize('preset', ['ultrafast', 'fast', 'medium'])
def test_dis_recovers_integer_shift(preset):
    frame_t, frame_s = _shifted_pair()
    flow = DISFlow(preset)(frame_t, frame_s)
    assert flow.shape == (1, 2, 96, 128) and flow.dtype == torch.float32
    assert not flow.requires_grad
    assert flow[0, 0].median().round().item() == SHIFT[0]
    assert flow[0, 1].median().round().item() == SHIFT[1]


def test_dis_medium_is_accurate_and_points_into_s():
    frame_t, frame_s = _shifted_pair()
    flow = DISFlow('medium')(frame_t, frame_s)
    inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))
    assert abs(flow[0, 0].median().item() - SHIFT[0]) < 0.05
    assert abs(flow[0, 1].median().item() - SHIFT[1]) < 0.05
    # flow_warp(s, f_{t->s}) brings s onto t; the opposite flow does not.
    err = (flow_warp(frame_s.float(), flow) - frame_t)[inner].abs().mean()
    err_reverse = (flow_warp(frame_s.float(), -flow) - frame_t)[inner].abs()
    assert err < 1.0 and err_reverse.mean() > 10 * err


def test_dis_batch_float_input_and_device():
    t0, s0 = _shifted_pair(shift=(3, -2), seed=1)
    t1, s1 = _shifted_pair(shift=(-1, 2), seed=2)
    frames_t = torch.cat([t0, t1]).float()
    frames_s = torch.cat([s0, s1]).float()
    flow = DISFlow('medium')(frames_t, frames_s)
    medians = flow.flatten(2).median(dim=2).values.round()
    assert medians.tolist() == [[3, -2], [-1, 2]]
    uint8_flow = DISFlow('medium')(frames_t.to(torch.uint8),
                                   frames_s.to(torch.uint8))
    assert torch.equal(flow, uint8_flow)
    assert flow.device == frames_t.device


def test_dis_bad_arguments():
    with pytest.raises(ValueError, match='preset'):
        DISFlow('slow')
    with pytest.raises(ValueError, match='same shape'):
        DISFlow()(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        DISFlow()(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))


def _capture_model_calls(estimator: RAFTFlow, stub: bool = False) -> list:
    """Record (image1, image2, num_flow_updates, output) of each RAFT call.

    With ``stub`` the model is not run: it returns two flows whose last one
    holds ``100 * y + x`` (channel 0) and ``-(100 * y + x)`` (channel 1).
    """
    calls = []
    forward = estimator.model.forward

    def recording_forward(image1, image2, num_flow_updates):
        if stub:
            n, _, h, w = image1.shape
            ramp = torch.arange(h * w, dtype=torch.float32).view(h, w)
            ramp = 100 * (ramp // w) + ramp % w
            last = torch.stack((ramp, -ramp)).expand(n, 2, h, w)
            out = [torch.zeros(n, 2, h, w), last]
        else:
            out = forward(image1, image2, num_flow_updates)
        calls.append((image1, image2, num_flow_updates, out))
        return out

    estimator.model.forward = recording_forward
    return calls


def test_raft_random_weights_warns_and_is_frozen(warnings_log):
    torch.manual_seed(0)
    est = RAFTFlow('small', num_flow_updates=2)
    assert any('no checkpoint' in m for m in warnings_log)
    assert all(not p.requires_grad for p in est.parameters())
    est.train()
    assert not est.model.training
    assert all(not m.training for m in est.model.modules())
    frames = torch.rand(2, 1, 3, 128, 128) * 255
    calls = _capture_model_calls(est)
    flow = est(frames[0], frames[1])
    assert flow.shape == (1, 2, 128, 128) and flow.dtype == torch.float32
    assert not flow.requires_grad
    (_, _, updates, out), = calls
    assert updates == 2 and len(out) == 2
    assert torch.equal(flow, out[-1])


def test_raft_pads_to_multiple_of_8_and_crops_back():
    est = RAFTFlow('small', num_flow_updates=5)
    calls = _capture_model_calls(est, stub=True)
    frames = torch.rand(2, 2, 3, 122, 131) * 255
    flow = est(frames[0], frames[1])
    image1, image2, updates, out = calls[0]
    assert updates == 5
    # pad 6 rows (3 top, 3 bottom) and 5 columns (2 left, 3 right)
    assert image1.shape == image2.shape == (2, 3, 128, 136)
    assert torch.allclose(image1[..., 3:125, 2:133], 2 * frames[0] / 255 - 1)
    assert torch.allclose(image2[..., 3:125, 2:133], 2 * frames[1] / 255 - 1)
    assert torch.equal(image1[..., :3, 2:133],
                       image1[..., 3:4, 2:133].expand(2, 3, 3, 131))
    assert torch.equal(image1[..., 3:125, 133:],
                       image1[..., 3:125, 132:133].expand(2, 3, 122, 3))
    assert flow.shape == (2, 2, 122, 131)
    # flow(y, x) = last(y + 3, x + 2) = 100 * (y + 3) + x + 2
    assert flow[0, 0, 0, 0] == 302 and flow[1, 1, 121, 130] == -12532
    assert torch.equal(flow, out[-1][..., 3:125, 2:133])


def test_raft_input_modes():
    frames = torch.zeros(1, 3, 128, 128, dtype=torch.uint8)
    frames[..., :64] = 255
    seen = {}
    for mode in ('rgb255', 'repo_normalized'):
        est = RAFTFlow('small', num_flow_updates=1, input_mode=mode)
        calls = _capture_model_calls(est, stub=True)
        est(frames, frames.float())
        image1, image2 = calls[0][:2]
        assert torch.equal(image1, image2)
        seen[mode] = image1[0, :, 0, [0, 127]]  # (3, [white, black])
    assert torch.equal(seen['rgb255'], torch.tensor([[1., -1.]] * 3))
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None]
    expected = (torch.tensor([[1., 0.]]) - mean) / std
    assert torch.allclose(seen['repo_normalized'], expected, atol=1e-6)


@pytest.mark.parametrize('wrapped', [False, True])
def test_raft_loads_local_checkpoint(tmp_path, wrapped):
    torch.manual_seed(123)
    reference = raft_small(weights=None).eval()
    state = reference.state_dict()
    path = str(tmp_path / 'raft_small.pth')
    torch.save({'state_dict': state} if wrapped else state, path)
    torch.manual_seed(0)
    est = RAFTFlow('small', checkpoint=path, num_flow_updates=1)
    frames = torch.rand(2, 1, 3, 128, 128) * 255
    flow = est(frames[0], frames[1])
    with torch.no_grad():
        expected = reference(2 * frames[0] / 255 - 1, 2 * frames[1] / 255 - 1,
                             num_flow_updates=1)[-1]
    assert torch.equal(flow, expected)


def test_raft_bad_checkpoint_and_arguments(tmp_path):
    path = str(tmp_path / 'small.pth')
    torch.save(raft_small(weights=None).state_dict(), path)
    with pytest.raises(RuntimeError, match='state_dict'):
        RAFTFlow('large', checkpoint=path)
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        RAFTFlow('small', checkpoint=missing)
    with pytest.raises(ValueError, match='variant'):
        RAFTFlow('medium')
    with pytest.raises(ValueError, match='input_mode'):
        RAFTFlow('small', input_mode='rgb01')


def _flow_files(tmp_path, suffix):
    """Two frames of video ``seq`` with flows (H, W) = (4, 5) on disk."""
    flows = np.arange(2 * 4 * 5 * 2, dtype=np.float32).reshape(2, 4, 5, 2)
    os.makedirs(tmp_path / 'flow' / 'seq')
    for name, flow in zip(('f0', 'f1'), flows):
        path = str(tmp_path / 'flow' / 'seq' / (name + suffix))
        if suffix == '.flo':
            write_flow(path, flow)
        else:
            np.save(path, flow)
    paths_t = [osp.join('data', 'seq', 'f0.png'), 'data/seq/f1.jpg']
    return flows, paths_t


@pytest.mark.parametrize('suffix', ['.flo', '.npy'])
def test_file_flow_reads_flo_and_npy(tmp_path, suffix):
    flows, paths_t = _flow_files(tmp_path, suffix)
    est = FileFlow(str(tmp_path / 'flow'), suffix=suffix)
    frames = torch.zeros(2, 3, 4, 5)
    flow = est(frames, frames, paths_t)
    assert flow.dtype == torch.float32 and flow.is_contiguous()
    assert torch.equal(flow, torch.from_numpy(flows).permute(0, 3, 1, 2))
    assert est.flow_path(paths_t[0]) == str(tmp_path / 'flow' / 'seq' /
                                            ('f0' + suffix))


def test_file_flow_errors_name_the_file(tmp_path):
    _, paths_t = _flow_files(tmp_path, '.flo')
    root = tmp_path / 'flow'
    est = FileFlow(str(root))
    frames = torch.zeros(2, 3, 4, 5)
    with pytest.raises(ValueError, match='paths_t'):
        est(frames, frames)
    with pytest.raises(ValueError, match='2 frames'):
        est(frames, frames, paths_t[:1])
    with pytest.raises(ValueError, match=r'seq/f0\.flo.*\(4, 5\).*\(4, 6\)'):
        est(torch.zeros(2, 3, 4, 6), torch.zeros(2, 3, 4, 6), paths_t)
    with pytest.raises(FileNotFoundError, match=r'seq/f2\.flo'):
        est(frames[:1], frames[:1], ['data/seq/f2.png'])
    (root / 'seq' / 'f1.flo').write_bytes(
        np.array([1.0, 5, 4], np.float32).tobytes())
    with pytest.raises(ValueError, match=r'seq/f1\.flo: wrong \.flo magic'):
        est(frames, frames, paths_t)


@pytest.mark.parametrize('cfg', [
    dict(type='DISFlow', preset='fast'),
    dict(type='RAFTFlow', variant='small', num_flow_updates=3),
    dict(type='FileFlow', flow_root='flows', suffix='.npy'),
])
def test_build_from_registry(cfg):
    est = MODELS.build(cfg)
    assert type(est).__name__ == cfg['type']


def test_dis_rejects_frames_too_small_for_opencv():
    frames = torch.zeros(1, 3, 11, 40, dtype=torch.uint8)
    with pytest.raises(ValueError, match='at least 12x12'):
        DISFlow()(frames, frames)
    ok = torch.zeros(1, 3, 12, 12, dtype=torch.uint8)
    assert DISFlow()(ok, ok).shape == (1, 2, 12, 12)
