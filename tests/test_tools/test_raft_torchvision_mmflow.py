# Copyright (c) mmvseg contributors. All rights reserved.
"""RAFT-large weights between torchvision and mmflow: exact renames, and the
same flow through RAFTFlow and MMFlowEstimator."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from torchvision.models.optical_flow import raft_large, raft_small

from mmvseg.models.flow import MMFlowEstimator, RAFTFlow
from mmvseg.utils import read_image

from script_loader import load_script

converter = load_script('tools', 'model_converters',
                        'raft_torchvision_mmflow.py')
RAFT_CFG = 'mmflow::raft/raft_8xb2_100k_flyingchairs-368x496.py'
#: torchvision's RAFT takes RGB: the mmflow model must convert mmflow's BGR
RGB = {'model.data_preprocessor.bgr_to_rgb': True}


def _random_raft_large(seed: int = 0) -> torch.nn.Module:
    """torchvision raft_large with random weights and BatchNorm statistics."""
    torch.manual_seed(seed)
    model = raft_large(weights=None, progress=False)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(17)
    return model.eval()


@pytest.fixture(scope='module')
def mmflow_raft() -> MMFlowEstimator:
    torch.manual_seed(0)
    return MMFlowEstimator(RAFT_CFG, iters=1)


def test_key_map_covers_both_models_with_equal_shapes(mmflow_raft):
    key_map = converter.torchvision_to_mmflow_key_map()
    tv = raft_large(weights=None).state_dict()
    mm = mmflow_raft.model.state_dict()
    assert len(key_map) == len(tv) == len(mm) == 169
    assert list(key_map) == list(tv)  # torchvision's order
    assert set(key_map.values()) == set(mm)
    for tv_key, mm_key in key_map.items():
        assert tv[tv_key].shape == mm[mm_key].shape, (tv_key, mm_key)


def test_round_trip_is_exact_and_weights_land_in_place(mmflow_raft):
    tv = _random_raft_large().state_dict()
    to_mm = converter.convert_raft(tv, 'mmflow')
    back = converter.convert_raft(to_mm, 'torchvision')
    assert list(back) == list(tv)
    assert all(torch.equal(back[k], v) and back[k].dtype == v.dtype
               for k, v in tv.items())
    model = mmflow_raft.model
    original = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        model.load_state_dict(to_mm, strict=True)
        assert torch.equal(model.decoder.gru.conv_q[1].conv.weight,
                           tv['update_block.recurrent_block.convgru2.convq.'
                              'weight'])
        assert torch.equal(model.context.res_layer3[0].downsample[1].
                           running_var,
                           tv['context_encoder.layer3.0.downsample.1.'
                              'running_var'])
        assert torch.equal(model.decoder.mask_pred.predict_layer.bias,
                           tv['mask_predictor.conv.bias'])
        assert torch.equal(model.encoder.conv2.weight,
                           tv['feature_encoder.conv.weight'])
    finally:
        model.load_state_dict(original)
    # mmflow -> torchvision -> mmflow is exact as well
    again = converter.convert_raft(back, 'mmflow')
    assert list(again) == list(to_mm)
    assert all(torch.equal(again[k], v) for k, v in to_mm.items())


def _same_flow(tmp_path, frames_t, frames_s, iters):
    """(RAFTFlow flow, MMFlowEstimator flow) with the same random weights."""
    tv_path = str(tmp_path / 'raft_large_tv.pth')
    mm_path = str(tmp_path / 'raft_large_mmflow.pth')
    torch.save(_random_raft_large().state_dict(), tv_path)
    sys_argv = sys.argv
    try:
        sys.argv = ['raft_torchvision_mmflow', tv_path, mm_path]
        converter.main()
    finally:
        sys.argv = sys_argv
    raft = RAFTFlow('large', checkpoint=tv_path, num_flow_updates=iters)
    mmflow = MMFlowEstimator(
        RAFT_CFG, checkpoint=mm_path, iters=iters, cfg_options=RGB)
    return raft(frames_t, frames_s), mmflow(frames_t, frames_s)


def test_converted_weights_give_the_flow_of_raftflow(tmp_path):
    """Random frames of an odd size: both pad (replicate, centred) to
    136x152 and crop back (torchvision's RAFT needs at least 128x128)."""
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (2, 1, 3, 130, 147), generator=g,
                           dtype=torch.uint8)
    flow_tv, flow_mm = _same_flow(tmp_path, frames[0], frames[1], iters=2)
    assert flow_tv.shape == flow_mm.shape == (1, 2, 130, 147)
    assert flow_tv.abs().max() > 1  # a non-trivial flow
    assert (flow_tv - flow_mm).abs().max() <= 1e-3


def test_same_flow_on_a_real_camvid_pair(tmp_path, camvid_root):
    """Done-means check at 360x480 on two real frames (2 source frames
    apart), 3 updates; tools/analysis_tools/benchmark_flow.py reports the
    difference at 20 updates."""
    val = osp.join(camvid_root, 'val')
    frames = [
        torch.from_numpy(
            np.ascontiguousarray(read_image(osp.join(val, name))[..., ::-1]))
        .permute(2, 0, 1)[None]
        for name in ('0016E5_07959.png', '0016E5_07961.png')
    ]
    flow_tv, flow_mm = _same_flow(tmp_path, *frames, iters=3)
    assert flow_tv.shape == (1, 2, 360, 480)
    assert (flow_tv - flow_mm).abs().max() <= 1e-3


def test_main_detects_the_direction(tmp_path, monkeypatch, mmflow_raft):
    src = str(tmp_path / 'mmflow_raft.pth')
    torch.save({'state_dict': mmflow_raft.model.state_dict(), 'meta': {}},
               src)
    dst = str(tmp_path / 'out' / 'tv.pth')
    monkeypatch.setattr(sys, 'argv', ['x', src, dst])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['target'] == \
        'torchvision.models.optical_flow.raft_large'
    model = raft_large(weights=None)
    model.load_state_dict(saved['state_dict'], strict=True)
    assert torch.equal(model.feature_encoder.convnormrelu[0].weight,
                       mmflow_raft.model.encoder.conv1.weight)
    # RAFTFlow loads it as well
    RAFTFlow('large', checkpoint=dst)


def test_wrong_layouts_are_named(mmflow_raft):
    small = raft_small(weights=None).state_dict()
    with pytest.raises(ValueError, match=r'torchvision raft_large checkpoint:'
                       r' \d+ missing keys .* unexpected keys'):
        converter.convert_raft(small, 'mmflow')
    mm = mmflow_raft.model.state_dict()
    with pytest.raises(ValueError, match=r'torchvision raft_large checkpoint:'
                       r' 169 missing keys'):
        converter.convert_raft(mm, 'mmflow')  # already mmflow keys
    partial = dict(mm)
    del partial['decoder.flow_pred.predict_layer.bias']
    with pytest.raises(ValueError, match=r"mmflow RAFT checkpoint: 1 missing "
                       r"keys \['decoder\.flow_pred\.predict_layer\.bias'\]"):
        converter.convert_raft(partial, 'torchvision')
    with pytest.raises(ValueError, match='to must be one of'):
        converter.convert_raft(mm, 'onnx')
    prefixed = {f'module.{k}': v for k, v in mm.items()}
    assert list(converter.convert_raft(prefixed, 'torchvision')) == list(
        raft_large(weights=None).state_dict())


def test_main_unknown_layout(tmp_path, monkeypatch):
    src = str(tmp_path / 'other.pth')
    torch.save({'backbone.conv.weight': torch.zeros(1)}, src)
    monkeypatch.setattr(sys, 'argv', ['x', src, str(tmp_path / 'y.pth')])
    with pytest.raises(SystemExit, match=r'other\.pth: neither torchvision '
                       'raft_large nor mmflow RAFT keys'):
        converter.main()
