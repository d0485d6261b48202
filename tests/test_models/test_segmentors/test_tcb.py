# Copyright (c) mmvseg contributors. All rights reserved.
"""TCB (FraunhoferIVI/SSP TCBWrapper, Clip_PSP_Block, Clip_OCR_Block) on the
toy image model, and the two clip blocks."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from toy_video_models import (IMAGE_MODEL, H, K, W, assert_streams_lazily,
                              make_clip)

from mmvseg.models.video_blocks import ClipOCRBlock, ClipPPMBlock
from mmvseg.registry import MODELS

C = 8  # channels of the toy backbone's last level (stride 4, 4x6)
OCR = dict(type='ClipOCRBlock', in_channels=C, channels=C)
PPM = dict(type='ClipPPMBlock', in_channels=C, channels=C, ppm_channels=4,
           bottleneck_channels=4)


class SpyBlock(nn.Module):
    """A clip block returning the nearest reference; records its inputs."""

    def __init__(self, in_channels, channels):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.calls = []

    def forward(self, feat, ref_feats):
        self.calls.append((feat, list(ref_feats)))
        return self.scale * ref_feats[0]


def build_tcb(clip_block=OCR, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(type='TCB', image_model=IMAGE_MODEL,
                             clip_block=clip_block, **kwargs))


def levels(model, frames):
    return [model.extract_feat(frames[t:t + 1])[-1]
            for t in range(frames.shape[0])]


@pytest.mark.parametrize('clip_block', [OCR, PPM], ids=['ocr', 'ppm'])
def test_first_frames_are_the_image_model(clip_block):
    tcb = build_tcb(clip_block).eval()
    frames = torch.rand(5, 3, H, W)
    with torch.no_grad():
        logits = list(tcb.predict_clip(frames, [None] * 5))
        per_frame = [tcb.encode_decode(frames[t:t + 1], []) for t in range(5)]
        for t in range(3):
            assert torch.equal(logits[t], per_frame[t])
        for t in (3, 4):  # the clip block with frames t-1, t-2, t-3
            f = levels(tcb, frames)
            feats = list(tcb.extract_feat(frames[t:t + 1]))
            block = tcb.clip_block(f[t], [f[t - 1], f[t - 2], f[t - 3]])
            feats[-1] = tcb.fuse_conv(torch.cat([f[t], block], dim=1))
            assert torch.equal(logits[t], tcb.decode_logits(feats, (H, W)))
            assert not torch.allclose(logits[t], per_frame[t])


def test_references_reencoded_give_the_same_logits():
    frames = torch.rand(5, 3, H, W)
    with torch.no_grad():
        reused = torch.cat(list(
            build_tcb().eval().predict_clip(frames, [None] * 5)))
        again = torch.cat(list(build_tcb(reuse_ref_feats=False).eval(
        ).predict_clip(frames, [None] * 5)))
    torch.testing.assert_close(reused, again)


@pytest.mark.parametrize('reuse', [True, False])
def test_clamped_first_frames(reuse):
    tcb = build_tcb(dict(type=SpyBlock, in_channels=C, channels=C),
                    first_frames='clamp', reuse_ref_feats=reuse).eval()
    frames = torch.rand(5, 3, H, W)
    with torch.no_grad():
        list(tcb.predict_clip(frames, [None] * 5))
        f = levels(tcb, frames)
    expected = [[0, 0, 0], [0, 0, 0], [1, 0, 0], [2, 1, 0], [3, 2, 1]]
    assert len(tcb.clip_block.calls) == 5
    for t, (feat, refs) in enumerate(tcb.clip_block.calls):
        torch.testing.assert_close(feat, f[t])
        for ref, index in zip(refs, expected[t]):
            torch.testing.assert_close(ref, f[index])


def test_training_batches_the_clip_nearest_reference_first():
    tcb = build_tcb(dict(type=SpyBlock, in_channels=C, channels=C)).train()
    inputs = torch.rand(2, 4, 3, H, W)
    clips = [make_clip(4, labelled=(3, ), key=[3], ref=[0, 1, 2])
             for _ in range(2)]
    seen = []
    backbone = tcb.image_model.backbone
    backbone.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    losses = tcb.loss(inputs, clips)
    # one backbone batch [t, t-1, t-2, t-3], N clips each
    batch, = seen
    assert torch.equal(batch, torch.cat([inputs[:, i] for i in (3, 2, 1,
                                                                 0)]))
    feat, refs = tcb.clip_block.calls[0]
    every = tcb.extract_feat(batch)[-1]
    assert torch.equal(feat, every[:2])
    for ref, chunk in zip(refs, every[2:].split(2)):
        assert torch.equal(ref, chunk)
    outputs = tcb.forward_train(inputs, clips)
    labels = torch.cat([c[3].gt_sem_seg.data for c in clips])
    torch.testing.assert_close(
        losses['decode.loss_ce'],
        F.cross_entropy(outputs['key_logits'], labels))
    # gradients reach the references' features
    losses['decode.loss_ce'].backward()
    assert tcb.clip_block.scale.grad.abs() > 0
    with pytest.raises(ValueError, match='key frame and 3 references'):
        tcb.loss(inputs[:, 2:], [make_clip(2, labelled=(1, ), key=[1],
                                           ref=[0]) for _ in range(2)])


@pytest.mark.parametrize('clip_block', [OCR, PPM], ids=['ocr', 'ppm'])
def test_every_part_is_trained(clip_block):
    tcb = build_tcb(clip_block).train()
    inputs = torch.rand(2, 4, 3, H, W)
    clips = [make_clip(4, labelled=(3, ), key=[3], ref=[0, 1, 2])
             for _ in range(2)]
    tcb.loss(inputs, clips)['decode.loss_ce'].backward()
    for name, param in tcb.named_parameters():
        assert param.grad is not None, name


def test_ocr_block_gathers_over_the_clip():
    """Class proxies are the mean over the frames of mmseg's
    SpatialGatherModule on each frame; frame t attends to them."""
    torch.manual_seed(0)
    block = ClipOCRBlock(C, 6, num_classes=K).eval()
    feat, refs = torch.rand(2, C, 4, 6), [torch.rand(2, C, 4, 6)
                                           for _ in range(3)]
    with torch.no_grad():
        out = block(feat, refs)
        frames = refs + [feat]
        proxies = torch.stack([
            block.gather(block.conv(f), block.dsn_head(f)) for f in frames
        ]).mean(0)
        expected = block.out_conv(
            block.object_attention(block.conv(feat), proxies))
        torch.testing.assert_close(out, expected)
        assert out.shape == (2, 6, 4, 6)
        # identical references: the same proxies as the frame alone
        torch.testing.assert_close(block(feat, [feat] * 3),
                                   block(feat, [feat]))
        assert not torch.allclose(out, block(feat, [feat]))


def repo_frame_weights(block, feat, refs):
    """FraunhoferIVI/SSP Clip_PSP_Block: softmax over [refs..., current] of
    the spatial mean of the 1x1 conv, (N, T) in that order."""
    logits = [block.frame_weight_conv(f).mean((1, 2, 3))
              for f in refs + [feat]]
    return torch.stack(logits, dim=1).softmax(dim=1)


@pytest.mark.parametrize('aligned', [False, True])
def test_ppm_block_frame_weights(aligned):
    """Pooled maps [current, refs...] times the weights of [refs...,
    current] (the repository) or of their own frame (aligned), averaged
    over the frames, projected by mmseg's PPM convs."""
    torch.manual_seed(0)
    block = ClipPPMBlock(C, 6, ppm_channels=4, bottleneck_channels=5,
                         align_frame_weights=aligned).eval()
    feat, refs = torch.rand(2, C, 4, 6), [torch.rand(2, C, 4, 6)
                                           for _ in range(3)]
    with torch.no_grad():
        weights = repo_frame_weights(block, feat, refs)  # [r1, r2, r3, c]
        if aligned:
            weights = weights[:, [3, 0, 1, 2]]  # [c, r1, r2, r3]
        levels = [feat]
        for pool_conv in block.ppm:
            pooled = sum(
                w[:, None, None, None] * pool_conv[0](f)
                for w, f in zip(weights.unbind(1), [feat] + refs)) / 4
            levels.append(F.interpolate(pool_conv[1](pooled), size=(4, 6),
                                        mode='bilinear', align_corners=False))
        expected = block.out_conv(block.bottleneck(torch.cat(levels, 1)))
        torch.testing.assert_close(block(feat, refs), expected)


def test_clip_blocks_have_the_repository_layout():
    """Parameter counts of FraunhoferIVI/SSP's blocks at C = 768 with the
    TCB fuse conv (1536 -> 768): TCB-PPM 16,129,280 (the paper's 64.56 M =
    43.17 M image model + 5.26 M RAFT-large + this) and TCB-OCR 15,063,176
    for 8 classes (63.49 M likewise); mmvseg's OCR block has 3,456 fewer:
    the biases before BatchNorm that mmseg's ObjectAttentionBlock omits."""
    c = 768
    fuse = 2 * c * c + c
    ppm = (4 * (c * 512 + 2 * 512) + (c + 4 * 512) * 512 * 9 + 2 * 512 +
           512 * c + c + c)

    def ocr_repo(k):
        return (
            2 * (c * c * 9 + c + 2 * c)  # dsn conv3x3 + BN, conv_3x3 + BN
            + c * k + k  # dsn classifier
            + 2 * (c * 384 + 384 + 2 * 384 + 384 * 384 + 384 + 2 * 384)
            + c * 384 + 384 + 2 * 384  # f_down
            + 384 * c + c + 2 * c  # f_up
            + 2 * c * c + c + 2 * c  # conv_bn_dropout
            + c * c + c)  # head

    assert ppm + fuse == 16129280 and ocr_repo(8) + fuse == 15063176
    for cfg, expected in ((dict(PPM, ppm_channels=512,
                                bottleneck_channels=512), ppm),
                          (OCR, ocr_repo(K) - 3456)):
        tcb = build_tcb(dict(cfg, in_channels=c, channels=c))
        count = sum(p.numel() for n, p in tcb.named_parameters()
                    if not n.startswith('image_model'))
        assert count == expected + fuse


def test_repository_block_choice():
    assert isinstance(build_tcb(PPM).clip_block, ClipPPMBlock)
    tcb = build_tcb(PPM, repo_ppm_builds_ocr=True)
    assert isinstance(tcb.clip_block, ClipOCRBlock)
    assert (tcb.clip_block.in_channels, tcb.clip_block.channels,
            tcb.clip_block.num_classes) == (C, C, K)
    assert isinstance(build_tcb(OCR, repo_ppm_builds_ocr=True).clip_block,
                      ClipOCRBlock)
    # num_classes of the OCR regions: the decode head's unless given
    assert build_tcb(OCR).clip_block.num_classes == K
    assert build_tcb(dict(OCR, num_classes=5)).clip_block.num_classes == 5


def test_other_offsets():
    """Two references t-1 and t-4: frames 0..3 are the image model."""
    tcb = build_tcb(dict(type=SpyBlock, in_channels=C, channels=C),
                    ref_offsets=[-4, -1]).eval()
    assert tcb.ref_offsets == [-1, -4]
    frames = torch.rand(6, 3, H, W)
    with torch.no_grad():
        logits = list(tcb.predict_clip(frames, [None] * 6))
        f = levels(tcb, frames)
        assert torch.equal(logits[3], tcb.encode_decode(frames[3:4], []))
    assert len(tcb.clip_block.calls) == 2
    for (feat, (r1, r4)), t in zip(tcb.clip_block.calls, (4, 5)):
        torch.testing.assert_close(r1, f[t - 1])
        torch.testing.assert_close(r4, f[t - 4])


def test_bad_arguments():
    for offsets in ([], [1, -1], [-1, -1], [0]):
        with pytest.raises(ValueError, match='ref_offsets'):
            build_tcb(ref_offsets=offsets)
    with pytest.raises(ValueError, match='first_frames'):
        build_tcb(first_frames='skip')
    with pytest.raises(ValueError, match='in_channels and channels'):
        build_tcb(dict(type='ClipOCRBlock', in_channels=C))
    block = ClipOCRBlock(C, C, num_classes=K)
    with pytest.raises(ValueError, match='at least one reference'):
        block(torch.rand(1, C, 4, 6), [])
    with pytest.raises(ValueError, match='shape of the current one'):
        block(torch.rand(1, C, 4, 6), [torch.rand(1, C, 4, 5)])
    with pytest.raises(ValueError, match=r'expects \(N, 8, h, w\)'):
        ClipPPMBlock(C, C)(torch.rand(1, 4, 4, 6), [torch.rand(1, 4, 4, 6)])


@pytest.mark.parametrize('first_frames', ['image_model', 'clamp'])
@pytest.mark.parametrize('reuse', [True, False])
def test_streamed_frames_give_the_clip_outputs(first_frames, reuse):
    """``predict_clip`` streams (:func:`assert_streams_lazily`)."""
    tcb = build_tcb(first_frames=first_frames, reuse_ref_feats=reuse).eval()
    assert_streams_lazily(tcb, torch.rand(6, 3, H, W))
