# Copyright (c) mmvseg contributors. All rights reserved.
"""MMFlowEstimator: mmflow models (random weights, few iterations, tiny
frames) behind the flow-estimator interface."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torchvision.models.optical_flow import raft_large

from mmvseg.models.flow import MMFlowEstimator
from mmvseg.models.flow.mmflow_estimator import load_mmflow_config
from mmvseg.registry import MODELS

RAFT_CFG = 'mmflow::raft/raft_8xb2_100k_flyingchairs-368x496.py'
RAFT_MIXED_CFG = 'mmflow::raft/raft_8xb2_100k_mixed-368x768.py'
FLOWNETS_CFG = 'mmflow::flownet/flownets_8xb1_slong_flyingchairs-384x448.py'
PWCNET_CFG = 'mmflow::pwcnet/pwcnet_8xb1_slong_flyingchairs-384x448.py'


@pytest.fixture(scope='module')
def raft():
    torch.manual_seed(0)
    return MMFlowEstimator(RAFT_CFG, iters=2)


def _frames(n=1, h=70, w=90, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (n, 3, h, w), generator=g,
                          dtype=torch.uint8) for _ in range(2))


def test_builds_from_package_config_frozen_with_test_iterations(
        raft, warnings_log):
    assert raft.size_mode == 'pad' and raft.divisor == 8  # InputPad(3)
    assert raft.model.test_cfg == dict(iters=2)
    assert raft.model_name == 'RAFT' and raft.min_size() == 64
    assert all(not p.requires_grad for p in raft.parameters())
    raft.train()
    assert all(not m.training for m in raft.model.modules())
    frames_t, frames_s = _frames(2)
    flow = raft(frames_t, frames_s)
    assert flow.shape == (2, 2, 70, 90) and flow.dtype == torch.float32
    assert not flow.requires_grad
    # one pair at a time (mmflow's postprocess_result fills only the first
    # sample of a batch): the batch equals the single calls
    assert torch.equal(flow[1:], raft(frames_t[1:], frames_s[1:]))
    # the config's own test iterations are kept when iters is None
    mixed = MMFlowEstimator(RAFT_MIXED_CFG)
    assert mixed.model.test_cfg == dict(iters=32)
    assert any('has no checkpoint' in m for m in warnings_log)


def test_registered_and_built_from_a_dict_config():
    cfg = load_mmflow_config(RAFT_CFG)
    est = MODELS.build(
        dict(type='MMFlowEstimator', config=cfg.to_dict(), iters=1))
    assert isinstance(est, MMFlowEstimator)
    assert est.config_name == '<config dict>'


def test_equals_mmflow_inference_model_on_odd_sizes(raft):
    """Same flow as mmflow's own API (BGR images through the config's test
    pipeline, InputPad 'edge' centred, FlowDataPreprocessor, predict with
    the pad crop)."""
    from mmflow.apis import inference_model
    frames_t, frames_s = _frames(1, 61, 83, seed=3)
    flow = raft(frames_t, frames_s)
    raft.model.cfg = load_mmflow_config(RAFT_CFG)
    bgr = [f[0].permute(1, 2, 0).numpy()[..., ::-1].copy()
           for f in (frames_t, frames_s)]
    with DefaultScope.overwrite_default_scope('mmflow'):
        reference = inference_model(raft.model, *bgr)[0].pred_flow_fw.data
    assert reference.shape == (2, 61, 83)
    assert torch.equal(flow[0], reference)


def test_rgb_frames_reach_the_model_as_bgr(raft):
    """The config's data_preprocessor sees BGR (mmflow's image loader) and
    normalises with its mean/std (127.5, 127.5 for RAFT)."""
    seen = []
    preprocessor = raft.model.data_preprocessor
    original = preprocessor.forward

    def record(data, training=False):
        out = original(data, training)
        seen.append(out['inputs'])
        return out

    preprocessor.forward = record
    try:
        frames = torch.zeros(1, 3, 64, 64, dtype=torch.uint8)
        frames[:, 0] = 255  # pure red
        raft(frames, frames)
    finally:
        del preprocessor.forward
    inputs, = seen
    assert inputs.shape == (1, 6, 64, 64)
    # channels: img1 B, G, R, img2 B, G, R
    assert inputs[0, :, 0, 0].tolist() == [-1, -1, 1, -1, -1, 1]


def test_resize_mode_rescales_the_flow_like_mmflow():
    """FlowNetS (InputResize(6)): frames resized to multiples of 64, flow
    multiplied by the decoder's flow_div (20), resized back and divided by
    the scale by mmflow's predict_by_feat / postprocess_result."""
    est = MMFlowEstimator(FLOWNETS_CFG)
    assert est.size_mode == 'resize' and est.divisor == 64
    decoder = est.model.decoder
    seen = []

    def constant_predict(inputs, data_samples):
        seen.append((inputs.shape, data_samples[0].metainfo))
        flow = torch.ones(1, 2, *inputs.shape[2:])
        return decoder.predict_by_feat(flow, data_samples)

    est.model.predict = constant_predict
    frames_t, frames_s = _frames(1, 50, 70)
    flow = est(frames_t, frames_s)
    (shape, meta), = seen
    assert shape == (1, 6, 64, 128)
    assert meta['scale_factor'] == (128 / 70, 64 / 50)
    assert flow.shape == (1, 2, 50, 70)
    assert decoder.flow_div == 20
    assert torch.allclose(flow[0, 0], torch.full((50, 70), 20 * 70 / 128))
    assert torch.allclose(flow[0, 1], torch.full((50, 70), 20 * 50 / 64))
    # a real forward on CPU (FlowNetS needs no CUDA-only op)
    del est.model.predict
    assert est(frames_t, frames_s).shape == (1, 2, 50, 70)


def test_trainable_gets_gradients_and_follows_mode():
    torch.manual_seed(0)
    est = MMFlowEstimator(RAFT_CFG, iters=1, trainable=True)
    assert all(p.requires_grad for p in est.parameters())
    est.train()
    assert est.model.training
    frames_t, frames_s = _frames(1, 64, 64)
    flow = est(frames_t.float(), frames_s.float())
    assert flow.requires_grad
    flow.abs().mean().backward()
    grad = est.model.decoder.flow_pred.predict_layer.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    est.eval()
    assert not est.model.training
    with torch.no_grad():
        assert not est(frames_t, frames_s).requires_grad


def test_frames_the_model_cannot_take(raft):
    frames_t, frames_s = _frames(1, 50, 64)
    with pytest.raises(ValueError, match=r'raft_8xb2_100k_flyingchairs'
                       r'-368x496\.py: RAFT cannot take frames of 50x64 '
                       r'\(fitted to 56x64\): it needs at least 64x64'):
        raft(frames_t, frames_s)
    strict = MMFlowEstimator(RAFT_CFG, iters=1, size_mode='none')
    frames_t, frames_s = _frames(1, 64, 70)
    with pytest.raises(ValueError, match=r"size_mode='none' needs H and W "
                       r'that are multiples of 8, got 64x70'):
        strict(frames_t, frames_s)
    with pytest.raises(ValueError, match='same shape'):
        raft(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 72))


def test_cuda_only_model_on_cpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r'pwcnet_8xb1_slong_flyingchairs'
                       r'-384x448\.py: PWCNet uses mmcv Correlation, which '
                       r'mmcv implements for CUDA only'):
        MMFlowEstimator(PWCNET_CFG)


def test_configs_that_are_not_flow_models(tmp_path):
    with pytest.raises(ValueError, match=r'sintel_384x768\.py: not an mmflow '
                       r'model config \(no `model`'):
        MMFlowEstimator('mmflow::_base_/datasets/sintel_384x768.py')
    encoder_only = dict(model=dict(type='RAFTEncoder', in_channels=3,
                                   out_channels=256))
    with pytest.raises(ValueError, match="model type 'RAFTEncoder' is not "
                       'an mmflow flow estimator'):
        MMFlowEstimator(encoder_only)
    mmseg_cfg = tmp_path / 'fcn.py'
    mmseg_cfg.write_text("model = dict(type='EncoderDecoder')\n")
    with pytest.raises(ValueError, match=r"fcn\.py: model type "
                       r"'EncoderDecoder' is not an mmflow flow estimator"):
        MMFlowEstimator(str(mmseg_cfg))
    with pytest.raises(FileNotFoundError, match='absent.py'):
        MMFlowEstimator(str(tmp_path / 'absent.py'))
    with pytest.raises(FileNotFoundError, match='mmflow::raft/absent.py'):
        MMFlowEstimator('mmflow::raft/absent.py')


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'FlowNetS has no test iterations'):
        MMFlowEstimator(FLOWNETS_CFG, iters=4)
    with pytest.raises(ValueError, match='size_mode must be one of'):
        MMFlowEstimator(RAFT_CFG, size_mode='crop')
    with pytest.raises(ValueError, match='iters must be >= 1'):
        MMFlowEstimator(RAFT_CFG, iters=0)


def test_checkpoint_keys_must_match(tmp_path, raft):
    torch.manual_seed(1)
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in raft.model.state_dict().items()}
    good = str(tmp_path / 'good.pth')
    torch.save({'state_dict': state, 'meta': {}}, good)
    est = MMFlowEstimator(RAFT_CFG, checkpoint=good, iters=1)
    assert all(torch.equal(v, state[k])
               for k, v in est.model.state_dict().items())

    tv = str(tmp_path / 'torchvision.pth')
    torch.save(raft_large(weights=None).state_dict(), tv)
    # 154 = 169 tensors less the 15 BatchNorm counters, which may be absent
    with pytest.raises(ValueError, match=r'torchvision\.pth: checkpoint does '
                       r'not match RAFT of .*154 missing keys.*169 '
                       r'unexpected keys.*torchvision RAFT keys: convert it '
                       r'with .*raft_torchvision_mmflow'):
        MMFlowEstimator(RAFT_CFG, checkpoint=tv)
    partial = dict(state)
    del partial['decoder.gru.conv_z.0.conv.weight']
    partial['decoder.extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'partial.pth')
    torch.save(partial, path)
    with pytest.raises(ValueError, match=r"partial\.pth: .*1 missing keys "
                       r"\['decoder\.gru\.conv_z\.0\.conv\.weight'\], 1 "
                       r"unexpected keys \['decoder\.extra\.weight'\]"):
        MMFlowEstimator(RAFT_CFG, checkpoint=path)
    wrong = dict(state)
    wrong['encoder.conv1.bias'] = torch.zeros(3)
    torch.save(wrong, path)
    with pytest.raises(ValueError, match=r'1 shape mismatches '
                       r'\[\'encoder\.conv1\.bias \(3,\) != \(64,\)\'\]'):
        MMFlowEstimator(RAFT_CFG, checkpoint=path)
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        MMFlowEstimator(RAFT_CFG, checkpoint=str(tmp_path / 'absent.pth'))


def test_cfg_options_reach_the_model():
    cfg = load_mmflow_config(RAFT_CFG)
    assert isinstance(cfg, Config)
    est = MMFlowEstimator(
        cfg, iters=1, cfg_options={'model.data_preprocessor.bgr_to_rgb': True})
    assert est.model.data_preprocessor.channel_conversion
    assert not cfg.model.data_preprocessor.bgr_to_rgb  # caller's Config
    assert est.config_name == cfg.filename
    assert np.isclose(float(est.model.data_preprocessor.mean[0]), 127.5)


def test_flow_slot_of_a_video_segmentor_trains_the_mmflow_model():
    """The flow slot of BaseVideoSegmentor (the guide's flow-based
    segmentor) with a trainable mmflow RAFT: the segmentation loss reaches
    the flow network's parameters."""
    from script_loader import load_script
    from toy_video_models import IMAGE_MODEL, make_clip
    guide = load_script('tests', 'test_models', 'test_segmentors',
                        'test_guide_examples.py')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type=guide.FeatureFlowSegmentor,
            image_model=IMAGE_MODEL,
            key_interval=2,
            flow=dict(type='MMFlowEstimator', config=RAFT_CFG, iters=1,
                      trainable=True))).train()
    assert model.flow.model.training
    inputs = torch.rand(1, 2, 3, 64, 64) * 2 - 1
    clip = make_clip(2, labelled=(1, ), key=[1], ref=[0], size=(64, 64))
    losses = model.loss(inputs, [clip])
    losses['decode.loss_ce'].backward()
    grads = [p.grad for p in model.flow.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads)
    model.eval()
    assert not model.flow.model.training


def test_size_step_of_old_style_test_configs():
    """``raft_kitti-test.py`` keeps the mmflow 0.x ``data.test`` layout; its
    InputPad(exponent=3) is found there."""
    est = MMFlowEstimator('mmflow::raft/raft_kitti-test.py', iters=1)
    assert (est.size_mode, est.divisor) == ('pad', 8)
    assert est.model.test_cfg == dict(iters=1)
