# Copyright (c) mmvseg contributors. All rights reserved.
import re
import sys
from collections import OrderedDict

import pytest
import torch
from torchvision.models.optical_flow import raft_large

from mmvseg.models.flow.estimators import RAFTFlow

from script_loader import load_script

converter = load_script('tools', 'model_converters', 'raft2torchvision.py')


def _original_state_dict(prefix: str = 'module.', tracked: bool = True):
    """Random tensors in the layout of princeton-vl/RAFT ``RAFT`` (large)
    saved through ``nn.DataParallel``, built from the shapes in
    ``core/extractor.py`` ``BasicEncoder`` / ``ResidualBlock`` and
    ``core/update.py`` ``BasicUpdateBlock``; ``norm3`` and ``downsample.1``
    share their tensors (one module registered twice)."""
    sd = OrderedDict()

    def conv(name, cout, cin, kh, kw=None):
        sd[f'{prefix}{name}.weight'] = torch.randn(cout, cin, kh, kw or kh)
        sd[f'{prefix}{name}.bias'] = torch.randn(cout)

    def bn(name, c):
        sd[f'{prefix}{name}.weight'] = torch.rand(c) + 0.5
        sd[f'{prefix}{name}.bias'] = torch.randn(c)
        sd[f'{prefix}{name}.running_mean'] = torch.randn(c)
        sd[f'{prefix}{name}.running_var'] = torch.rand(c) + 0.5
        if tracked:
            sd[f'{prefix}{name}.num_batches_tracked'] = torch.randint(
                1, 1000, ())

    for enc, batch_norm in (('fnet', False), ('cnet', True)):
        conv(f'{enc}.conv1', 64, 3, 7)
        if batch_norm:
            bn(f'{enc}.norm1', 64)
        cin = 64
        for layer, c in ((1, 64), (2, 96), (3, 128)):
            for block in (0, 1):
                p = f'{enc}.layer{layer}.{block}'
                conv(f'{p}.conv1', c, cin if block == 0 else c, 3)
                conv(f'{p}.conv2', c, c, 3)
                if batch_norm:
                    bn(f'{p}.norm1', c)
                    bn(f'{p}.norm2', c)
                if layer > 1 and block == 0:
                    conv(f'{p}.downsample.0', c, cin, 1)
                    if batch_norm:
                        bn(f'{p}.norm3', c)
                        for key in [k for k in sd if f'{p}.norm3.' in k]:
                            sd[key.replace('norm3', 'downsample.1')] = sd[key]
            cin = c
        conv(f'{enc}.conv2', 256, 128, 1)
    ub = 'update_block'
    conv(f'{ub}.encoder.convc1', 256, 4 * 9 * 9, 1)
    conv(f'{ub}.encoder.convc2', 192, 256, 3)
    conv(f'{ub}.encoder.convf1', 128, 2, 7)
    conv(f'{ub}.encoder.convf2', 64, 128, 3)
    conv(f'{ub}.encoder.conv', 126, 256, 3)
    for gate in 'zrq':
        conv(f'{ub}.gru.conv{gate}1', 128, 384, 1, 5)
        conv(f'{ub}.gru.conv{gate}2', 128, 384, 5, 1)
    conv(f'{ub}.flow_head.conv1', 256, 128, 3)
    conv(f'{ub}.flow_head.conv2', 2, 256, 3)
    conv(f'{ub}.mask.0', 256, 128, 3)
    conv(f'{ub}.mask.2', 576, 256, 1)
    return sd


# torchvision raft_large key -> original key, applied in order
_INVERSE_RULES = (
    (r'^feature_encoder\.', 'fnet.'),
    (r'^context_encoder\.', 'cnet.'),
    (r'\.convnormrelu\.0\.', '.conv1.'),
    (r'\.convnormrelu\.1\.', '.norm1.'),
    (r'\.convnormrelu([12])\.0\.', r'.conv\1.'),
    (r'\.convnormrelu([12])\.1\.', r'.norm\1.'),
    (r'^(fnet|cnet)\.conv\.', r'\1.conv2.'),
    (r'motion_encoder\.convcorr(\d)\.0\.', r'encoder.convc\1.'),
    (r'motion_encoder\.convflow(\d)\.0\.', r'encoder.convf\1.'),
    (r'motion_encoder\.conv\.0\.', 'encoder.conv.'),
    (r'recurrent_block\.convgru(\d)\.conv([zrq])\.', r'gru.conv\2\1.'),
    (r'^mask_predictor\.convrelu\.0\.', 'update_block.mask.0.'),
    (r'^mask_predictor\.conv\.', 'update_block.mask.2.'),
)


def _to_original(model_sd):
    """Inverse mapping of a torchvision state dict, written independently of
    the converter, with the DataParallel prefix and the norm3 aliases."""
    sd = OrderedDict()
    for key, value in model_sd.items():
        for pattern, repl in _INVERSE_RULES:
            key = re.sub(pattern, repl, key)
        sd['module.' + key] = value
        alias = re.sub(r'^(cnet\.layer\d\.0)\.downsample\.1\.', r'\1.norm3.',
                       key)
        if alias != key:
            sd['module.' + alias] = value
    return sd


def _random_raft_large():
    torch.manual_seed(0)
    model = raft_large(weights=None, progress=False)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(17)
    return model


def test_converted_weights_load_strictly_and_land_in_place():
    torch.manual_seed(0)
    sd = _original_state_dict()
    assert len(sd) == 179  # 169 raft_large tensors + 10 norm3 aliases
    converted = converter.convert_raft(sd)
    model = raft_large(weights=None, progress=False)
    model.load_state_dict(converted, strict=True)
    assert list(converted) == list(model.state_dict())
    # every non-alias source tensor arrives unchanged, exactly once
    aliases = {k for k in sd if '.norm3.' in k}
    assert len(aliases) == 10
    assert len({id(t) for t in converted.values()}) == len(converted)
    assert {id(t) for t in converted.values()} == {
        id(t)
        for k, t in sd.items() if k not in aliases
    }
    assert torch.equal(model.feature_encoder.convnormrelu[0].weight,
                       sd['module.fnet.conv1.weight'])
    assert torch.equal(model.context_encoder.layer3[0].downsample[1].
                       running_var,
                       sd['module.cnet.layer3.0.norm3.running_var'])
    assert torch.equal(model.context_encoder.layer2[1].convnormrelu2[1].bias,
                       sd['module.cnet.layer2.1.norm2.bias'])
    assert torch.equal(model.context_encoder.conv.weight,
                       sd['module.cnet.conv2.weight'])
    assert torch.equal(
        model.update_block.motion_encoder.convcorr1[0].weight,
        sd['module.update_block.encoder.convc1.weight'])
    assert torch.equal(
        model.update_block.recurrent_block.convgru2.convq.weight,
        sd['module.update_block.gru.convq2.weight'])
    assert torch.equal(model.mask_predictor.conv.bias,
                       sd['module.update_block.mask.2.bias'])
    assert model.mask_predictor.multiplier == 0.25


def test_round_trip_from_torchvision_is_exact():
    model_sd = _random_raft_large().state_dict()
    original = _to_original(model_sd)
    torch.manual_seed(1)
    by_shapes = _original_state_dict()
    assert {k: v.shape for k, v in original.items()} == {
        k: v.shape
        for k, v in by_shapes.items()
    }
    converted = converter.convert_raft(original)
    assert set(converted) == set(model_sd)
    for key, value in model_sd.items():
        assert torch.equal(converted[key], value), key


def test_no_prefix_and_no_num_batches_tracked():
    torch.manual_seed(0)
    sd = _original_state_dict(prefix='', tracked=False)
    assert not any('num_batches_tracked' in k for k in sd)
    converted = converter.convert_raft(sd)
    raft_large(weights=None).load_state_dict(converted, strict=True)
    tracked = [k for k in converted if k.endswith('num_batches_tracked')]
    assert len(tracked) == 15  # one per BatchNorm of the context encoder
    assert all(converted[k].dtype == torch.long and converted[k] == 0
               for k in tracked)


def test_unexpected_and_missing_keys_are_named():
    torch.manual_seed(0)
    sd = _original_state_dict()
    sd['module.fnet.norm1.weight'] = torch.ones(64)
    with pytest.raises(ValueError, match=r"unexpected.*fnet\.norm1\.weight"):
        converter.convert_raft(sd)
    sd = _original_state_dict()
    del sd['module.update_block.gru.convr2.bias']
    with pytest.raises(ValueError, match=r"missing.*gru\.convr2\.bias"):
        converter.convert_raft(sd)


def test_inconsistent_checkpoints_raise():
    torch.manual_seed(0)
    sd = _original_state_dict()
    sd['module.cnet.layer2.0.norm3.bias'] = torch.zeros(96)
    with pytest.raises(ValueError, match=r'norm3\.bias.*differs'):
        converter.convert_raft(sd)
    sd = _original_state_dict()
    sd['fnet.conv1.bias'] = sd.pop('module.fnet.conv1.bias')
    with pytest.raises(ValueError, match='mixes keys'):
        converter.convert_raft(sd)


def test_main_output_loads_into_raftflow(tmp_path, monkeypatch):
    torch.manual_seed(0)
    sd = _original_state_dict()
    src = tmp_path / 'raft-things.pth'
    dst = tmp_path / 'out' / 'raft_large_things.pth'
    torch.save(sd, src)
    monkeypatch.setattr(sys, 'argv', ['raft2torchvision', str(src), str(dst)])
    converter.main()
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    assert saved['meta']['source_file'] == 'raft-things.pth'
    flow = RAFTFlow('large', checkpoint=str(dst))
    assert torch.equal(flow.model.update_block.flow_head.conv2.weight,
                       sd['module.update_block.flow_head.conv2.weight'])
    assert torch.equal(
        flow.model.context_encoder.convnormrelu[1].running_mean,
        sd['module.cnet.norm1.running_mean'])


def test_main_missing_source_file(tmp_path, monkeypatch):
    src = tmp_path / 'absent.pth'
    monkeypatch.setattr(sys, 'argv',
                        ['raft2torchvision',
                         str(src),
                         str(tmp_path / 'x.pth')])
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        converter.main()
