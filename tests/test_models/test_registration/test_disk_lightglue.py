# Copyright (c) mmvseg contributors. All rights reserved.
import re
import urllib.request

import cv2
import kornia.core.download
import kornia.feature.disk.disk
import kornia.feature.lightglue
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from kornia.feature import (DISK, DISKFeatures, LightGlue, LightGlueMatcher,
                            laf_from_center_scale_ori)

from mmvseg.models.registration.disk_lightglue import (
    DISK_WEIGHTS_URLS, LIGHTGLUE_WEIGHTS_URLS, DiskLightGlueRegistration,
    lightglue_disk_config)
from mmvseg.models.registration.base import registration_grid
from mmvseg.registry import MODELS

H_TRUE = np.array([[1.02, 0.03, 4.0], [-0.02, 0.99, -3.0],
                   [1e-4, -5e-5, 1.0]])
FAST = dict(
    num_keypoints=32,
    lightglue_cfg=dict(filter_threshold=0.0),
    ransac_cfg=dict(seed=0, batch_size=128))


def _legacy_lightglue_state(matcher: LightGlue) -> dict:
    """State dict in the layout of cvg/LightGlue ``disk_lightglue.pth``:
    ``self_attn.<i>.*`` / ``cross_attn.<i>.*``, no derived buffers."""
    return {
        re.sub(r'^transformers\.(\d+)\.(self_attn|cross_attn)\.', r'\2.\1.',
               key): value
        for key, value in matcher.state_dict().items()
        if key != 'confidence_thresholds'
    }


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    """Random DISK / LightGlue weights saved as the upstream files are."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp('weights')
    disk_state = DISK().state_dict()
    lightglue_state = _legacy_lightglue_state(
        LightGlue(None, **lightglue_disk_config()))
    assert any(k.startswith('self_attn.8.') for k in lightglue_state)
    disk_path, lightglue_path = root / 'depth-save.pth', root / 'lg.pth'
    torch.save({'extractor': disk_state}, disk_path)
    torch.save(lightglue_state, lightglue_path)
    return dict(
        disk=str(disk_path),
        lightglue=str(lightglue_path),
        disk_state=disk_state,
        lightglue_state=lightglue_state)


@pytest.fixture(scope='module')
def registration(weights):
    return DiskLightGlueRegistration(weights['disk'], weights['lightglue'],
                                     **FAST)


def _frames(h: int = 60, w: int = 76):
    """(1, 3, h, w) uint8 textured frame t-1 and frame t = H_TRUE warp."""
    rng = np.random.default_rng(0)
    noise = rng.random((h // 4, w // 4, 3)).astype(np.float32)
    src = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    src = (np.clip(src, 0, 1) * 255).astype(np.uint8)
    dst = cv2.warpPerspective(src, H_TRUE, (w, h))

    def to_tensor(img):
        return torch.from_numpy(img).permute(2, 0, 1)[None]

    return to_tensor(src), to_tensor(dst)


def _no_download(*args, **kwargs):
    raise RuntimeError('network access attempted')


def test_local_weights_load_without_network(weights, monkeypatch):
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', _no_download)
    monkeypatch.setattr(urllib.request, 'urlopen', _no_download)
    for module in (kornia.core.download, kornia.feature.disk.disk,
                   kornia.feature.lightglue):
        monkeypatch.setattr(module, 'load_state_dict_from_url', _no_download)
    with pytest.raises(RuntimeError, match='network access'):
        DISK.from_pretrained('depth')  # the patch blocks kornia's download
    reg = DiskLightGlueRegistration(weights['disk'], weights['lightglue'])
    for key, value in weights['disk_state'].items():
        assert torch.equal(reg.disk.state_dict()[key], value)
    matcher_state = reg.matcher.state_dict()
    assert torch.equal(
        matcher_state['transformers.3.cross_attn.to_qk.weight'],
        weights['lightglue_state']['cross_attn.3.to_qk.weight'])
    assert torch.equal(matcher_state['log_assignment.8.final_proj.bias'],
                       weights['lightglue_state']['log_assignment.8.'
                                                  'final_proj.bias'])
    assert not reg.disk.training and not reg.matcher.training
    assert reg.matcher.conf.input_dim == 128
    assert reg.matcher.conf.filter_threshold == 0.1  # kornia's default
    assert reg.matcher.conf.n_layers == 9
    assert reg.num_keypoints == 2048 and reg.reg_input == 'repo_normalized'
    assert reg.ransac.inl_th == pytest.approx(2.5**0.5)
    assert reg.ransac.score_type == 'ransac'


def test_matches_equal_kornia_lightgluematcher(weights, registration,
                                               monkeypatch):
    monkeypatch.setattr(
        kornia.feature.lightglue, 'load_state_dict_from_url',
        lambda *a, **k: torch.load(weights['lightglue'], weights_only=True))
    reference = LightGlueMatcher('disk', dict(filter_threshold=0.0))
    assert not reference.training
    src, dst = _frames()
    images = registration.prepare(torch.cat([src, dst]))
    with torch.no_grad():
        feats_src, feats_dst = registration.detect(images)
        points_src, points_dst = registration.match(feats_src, feats_dst,
                                                    (60, 76))
        # FraunhoferIVI/SSP DiskFeatureRegistrator.forward
        kps1, kps2 = feats_src.keypoints, feats_dst.keypoints
        lafs1 = laf_from_center_scale_ori(kps1[None],
                                          torch.ones(1, len(kps1), 1, 1))
        lafs2 = laf_from_center_scale_ori(kps2[None],
                                          torch.ones(1, len(kps2), 1, 1))
        _, idxs = reference(feats_src.descriptors, feats_dst.descriptors,
                            lafs1, lafs2, (60, 76), (60, 76))
    assert len(points_src) > 4
    assert torch.equal(points_src, kps1[idxs[:, 0]])
    assert torch.equal(points_dst, kps2[idxs[:, 1]])


def test_end_to_end_random_weights(registration, warnings_log):
    src, dst = _frames()
    homography = registration(
        torch.cat([src, dst]).float(), torch.cat([dst, src]))
    assert homography.shape == (2, 3, 3)
    assert homography.dtype == torch.float32
    assert torch.isfinite(homography).all()
    # same as the stages run on the first pair (RANSAC is seeded)
    with torch.no_grad():
        feats = registration.detect(registration.prepare(torch.cat([src,
                                                                    dst])))
        expected = registration.fit(
            *registration.match(feats[0], feats[1], (60, 76)))
    assert torch.equal(homography[0], expected.float())
    assert warnings_log == []  # a RANSAC estimate, not the fallback
    assert not torch.equal(homography[0], torch.eye(3))


def test_describe_each_frame_once_then_register(registration):
    src, dst = _frames()
    frames = torch.cat([src, dst])
    described = registration.describe(frames.float())
    assert len(described) == 2
    assert all(isinstance(d, DISKFeatures) for d in described)
    assert described[0].keypoints.shape[1] == 2
    assert described[0].descriptors.shape == (len(described[0].keypoints),
                                              128)
    # a frame's description does not depend on the other frames
    alone = registration.describe(dst)[0]
    assert torch.equal(alone.keypoints, described[1].keypoints)
    assert torch.equal(alone.descriptors, described[1].descriptors)
    homography = registration.register(described, described[::-1], (60, 76))
    assert homography.dtype == torch.float32
    assert torch.equal(homography,
                       registration(frames, torch.cat([dst, src])))
    assert not torch.equal(homography[0], torch.eye(3))


def test_scale_registers_the_resized_frames(weights, warnings_log):
    reg = DiskLightGlueRegistration(weights['disk'], weights['lightglue'],
                                    scale=0.5, **FAST)
    src, dst = _frames()
    small = F.interpolate(
        torch.cat([src, dst]).float(), scale_factor=0.5, mode='bilinear',
        antialias=True, align_corners=False)
    assert small.shape[2:] == (30, 38)
    with torch.no_grad():
        feats = reg.detect(reg.prepare(small))
        h_small = reg.fit(*reg.match(feats[0], feats[1], (30, 38)))
    assert warnings_log == []  # a RANSAC estimate, not the fallback
    grid = registration_grid(0.5)
    expected = torch.linalg.inv(grid) @ h_small @ grid
    torch.testing.assert_close(reg(src, dst)[0], expected.float())


def test_ransac_recovers_known_homography(registration):
    gen = torch.Generator().manual_seed(0)
    points = torch.rand(60, 2, generator=gen, dtype=torch.float64) * 64
    h_true = torch.from_numpy(H_TRUE)
    mapped = torch.cat([points, torch.ones(60, 1, dtype=torch.float64)],
                       1) @ h_true.T
    targets = mapped[:, :2] / mapped[:, 2:]
    targets[:15] = torch.rand(15, 2, generator=gen, dtype=torch.float64) * 64
    estimate = registration.fit(points.float(), targets.float())
    assert estimate.dtype == torch.float64
    torch.testing.assert_close(
        estimate / estimate[2, 2], h_true, atol=1e-3, rtol=0)


def test_fit_fallbacks(registration, warnings_log):
    points = torch.tensor([[1., 2.], [10., 3.], [5., 20.]])
    assert torch.equal(registration.fit(points, points),
                       torch.eye(3, dtype=torch.float64))
    same = torch.full((10, 2), 5.0)  # rank-deficient model
    assert torch.equal(registration.fit(same, same + 1),
                       torch.eye(3, dtype=torch.float64))
    gen = torch.Generator().manual_seed(0)
    scattered = torch.rand(8, 2, generator=gen) * 60, torch.rand(
        8, 2, generator=gen) * 60  # no model with more than 4 inliers
    assert torch.equal(registration.fit(*scattered),
                       torch.eye(3, dtype=torch.float64))
    assert warnings_log == [
        'DiskLightGlueRegistration: 3 matches < min_matches=4; using the '
        'identity',
        'DiskLightGlueRegistration: degenerate homography from 10 matches; '
        'using the identity',
        'DiskLightGlueRegistration: RANSAC found no homography from 8 '
        'matches; using the identity',
    ]


def test_no_keypoints_gives_identity(weights, warnings_log):
    reg = DiskLightGlueRegistration(
        weights['disk'], weights['lightglue'], score_threshold=1e9)
    src, dst = _frames()
    assert torch.equal(reg(src, dst), torch.eye(3)[None])
    assert warnings_log == [
        'DiskLightGlueRegistration: 0 matches < min_matches=4; using the '
        'identity'
    ]


@pytest.mark.parametrize('reg_input', ['repo_normalized', 'rgb01'])
def test_disk_input(weights, reg_input, monkeypatch):
    reg = DiskLightGlueRegistration(
        weights['disk'], weights['lightglue'], reg_input=reg_input)
    frame = torch.zeros(1, 3, 16, 16, dtype=torch.uint8)
    frame[0, :, 0, 0] = torch.tensor([255, 0, 102], dtype=torch.uint8)
    seen = []

    def record(images):
        seen.append(images)
        empty = DISKFeatures(torch.zeros(0, 2), torch.zeros(0, 128),
                             torch.zeros(0))
        return [empty] * len(images)

    monkeypatch.setattr(reg, 'detect', record)
    reg(frame, frame)
    pixel = seen[0][0, :, 0, 0]
    if reg_input == 'rgb01':
        expected = torch.tensor([1.0, 0.0, 0.4])
    else:
        expected = torch.tensor([(1 - 0.485) / 0.229, -0.456 / 0.224,
                                 (0.4 - 0.406) / 0.225])
    torch.testing.assert_close(pixel, expected)
    # describe runs DISK on one frame at a time
    assert [images.shape for images in seen] == [(1, 3, 16, 16)] * 2


def test_missing_weight_files_raise(weights, tmp_path):
    absent = str(tmp_path / 'absent-depth.pth')
    with pytest.raises(FileNotFoundError, match=re.escape(absent)):
        DiskLightGlueRegistration(absent, weights['lightglue'])
    with pytest.raises(FileNotFoundError, match=re.escape(absent)):
        DiskLightGlueRegistration(weights['disk'], absent)


def test_bad_weight_files_raise(weights, tmp_path):
    wrong = str(tmp_path / 'wrong.pth')
    torch.save(weights['lightglue_state'], wrong)
    with pytest.raises(ValueError, match=r'wrong\.pth: not a DISK'):
        DiskLightGlueRegistration(wrong, weights['lightglue'])
    extra = dict(weights['lightglue_state'], extra=torch.zeros(1))
    torch.save(extra, wrong)
    with pytest.raises(ValueError, match=r"wrong\.pth.*unexpected.*'extra'"):
        DiskLightGlueRegistration(weights['disk'], wrong)
    partial = dict(weights['lightglue_state'])
    del partial['posenc.Wr.weight']
    torch.save(partial, wrong)
    with pytest.raises(ValueError, match=r"missing.*'posenc\.Wr\.weight'"):
        DiskLightGlueRegistration(weights['disk'], wrong)
    torch.save(torch.zeros(3), wrong)
    with pytest.raises(ValueError, match=r'wrong\.pth.*must be a dict'):
        DiskLightGlueRegistration(wrong, weights['lightglue'])


def test_bad_arguments(registration):
    with pytest.raises(ValueError, match='reg_input'):
        DiskLightGlueRegistration(reg_input='bgr')
    with pytest.raises(ValueError, match='min_matches'):
        DiskLightGlueRegistration(min_matches=3)
    with pytest.raises(ValueError, match='model_type'):
        DiskLightGlueRegistration(ransac_cfg=dict(model_type='affine'))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        registration(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))


def test_documented_urls_are_kornias():
    assert DISK_WEIGHTS_URLS == tuple(kornia.feature.disk.disk.urls['depth'])
    assert LIGHTGLUE_WEIGHTS_URLS == (
        kornia.core.download.hf_url('lightglue', 'disk_lightglue.pth'),
        LightGlue.url.format(LightGlue.version, 'disk'))


def test_registry_and_frozen_eval_mode(weights):
    reg = MODELS.build(
        dict(
            type='DiskLightGlueRegistration',
            disk_weights=weights['disk'],
            lightglue_weights=weights['lightglue'],
            reg_input='rgb01'))
    assert isinstance(reg, DiskLightGlueRegistration)
    reg.train()
    assert reg.training
    assert not reg.disk.training and not reg.matcher.training
    assert not any(p.requires_grad for p in reg.parameters())
