# Copyright (c) mmvseg contributors. All rights reserved.
"""tools/misc/export_logits.py: per-frame teacher logits on the generated
demo clips, with random-weight models (the demo SSP config, and its ESPNet
image model as a plain mmseg config)."""
import errno
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.apis import inference_model
from mmseg.apis import init_model as init_image_model
from script_loader import REPO_ROOT, load_script

from mmvseg.apis import inference_video, init_model
from mmvseg.datasets.transforms.teacher_logits import resize_logits
from mmvseg.registry import MODELS
from mmvseg.utils.demo_data import generate_demo_camvid
from mmvseg.utils.tool_io import check_output_dir, write_atomic

tool = load_script('tools', 'misc', 'export_logits.py')
save_init_checkpoint = load_script('tools', 'misc', 'save_init_checkpoint.py')
DEMO = osp.join(REPO_ROOT, 'configs', 'ssp',
                'ssp_espnet-p2-q8_1xb4-300_demo-96x128.py')
NUM_CLASSES = 12  # ESPNet's CamVid outputs


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """Demo clips; the SSP demo config and an mmseg image-model config on
    them, with random-weight checkpoints."""
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_camvid(root)
    ssp_options = [
        f'{split}_dataloader.dataset.data_root={root}'
        for split in ('train', 'val', 'test')
    ] + ['test_dataloader.dataset.ann_file=test.txt']
    ssp_ckpt = osp.join(root, 'ssp.pth')
    save_init_checkpoint.main([DEMO, ssp_ckpt])
    cfg = Config.fromfile(DEMO)
    image_model = cfg.model.image_model
    image_model.data_preprocessor = dict(
        cfg.model.data_preprocessor, type='SegDataPreProcessor')
    image_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(128, 96), keep_ratio=True),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    cfg.model = image_model
    cfg.test_pipeline = image_pipeline
    cfg.test_dataloader.dataset.pipeline = image_pipeline
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = root
    image_cfg = osp.join(root, 'image_model.py')
    cfg.dump(image_cfg)
    torch.manual_seed(0)
    image_ckpt = osp.join(root, 'image.pth')
    torch.save(
        dict(state_dict=MODELS.build(image_model).state_dict(), meta={}),
        image_ckpt)
    return dict(root=root, ssp=(DEMO, ssp_ckpt, ssp_options),
                image=(image_cfg, image_ckpt))


def _files(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, names in os.walk(root)
        for f in names)


def _mtimes(root):
    return {f: os.stat(osp.join(root, f)).st_mtime_ns for f in _files(root)}


def _load(path):
    with np.load(path) as npz:
        assert npz.files == ['arr_0']
        return npz['arr_0']


def test_video_model_logits_skip_and_resume(demo, tmp_path):
    """SSP (recurrent): the kept frames (i % 3 in {0, 1}) of the 8-frame
    test clip, equal to inference_video's logits; a deleted file is
    rewritten from a rerun of its video, the others are left untouched."""
    config, ckpt, options = demo['ssp']
    out = str(tmp_path / 'logits')
    argv = [config, ckpt, '--split', 'test', '--out', out, '--skip-frames',
            '3', '--cfg-options'] + options
    summary = tool.main(argv)
    kept = [0, 1, 3, 4, 6, 7]
    names = [f'DemoT/DemoT_{40 + i:06d}.npz' for i in kept]
    assert _files(out) == names
    assert (summary['videos'], summary['kept'], summary['written'],
            summary['skipped'], summary['fed']) == (1, 6, 6, 0, 8)
    model = init_model(config, ckpt, cfg_options=dict(
        o.split('=', 1) for o in options))
    reference = list(inference_video(
        model, osp.join(demo['root'], 'test'), return_logits=True))
    for i, name in zip(kept, names):
        logits = _load(osp.join(out, name))
        assert logits.shape == (NUM_CLASSES, 96, 128)
        assert logits.dtype == np.float32
        np.testing.assert_allclose(
            logits, reference[i].seg_logits.data.numpy(), atol=1e-5)
    assert summary['bytes_per_frame'] == np.mean(
        [osp.getsize(osp.join(out, name)) for name in names])

    before = _mtimes(out)
    first = _load(osp.join(out, names[3]))
    os.remove(osp.join(out, names[3]))
    summary = tool.main(argv)
    assert (summary['written'], summary['skipped'], summary['fed']) == (1, 5,
                                                                        5)
    after = _mtimes(out)
    assert set(after) == set(before)
    assert all(after[n] == before[n] for n in names if n != names[3])
    np.testing.assert_array_equal(_load(osp.join(out, names[3])), first)
    summary = tool.main(argv)
    assert (summary['written'], summary['fed']) == (0, 0)
    assert _mtimes(out) == after


def test_image_model_float16_at_student_size(demo, tmp_path):
    """A plain mmseg EncoderDecoder config, run per frame: --size and
    --dtype give mmseg's own logits resized and cast; only missing frames
    are run on resume."""
    config, ckpt = demo['image']
    out = str(tmp_path / 'logits')
    argv = [config, ckpt, '--split', 'train', '--out', out, '--skip-frames',
            '4', '--size', '48', '64', '--dtype', 'float16']
    summary = tool.main(argv)
    files = _files(out)
    # DemoA/B/C: 10 frames each, frames 0, 1, 4, 5, 8, 9 kept
    assert (summary['videos'], summary['written'], summary['fed']) == (3, 18,
                                                                       18)
    assert files[:6] == [
        f'DemoA/DemoA_{100 + 2 * i:06d}.npz' for i in (0, 1, 4, 5, 8, 9)
    ]
    image_model = init_image_model(config, ckpt, device='cpu')
    frame = osp.join(demo['root'], 'train', 'DemoB_000305.png')
    expected = resize_logits(
        inference_model(image_model, frame).seg_logits.data.numpy(),
        (48, 64)).astype(np.float16)
    stored = _load(osp.join(out, 'DemoB', 'DemoB_000305.npz'))
    assert stored.dtype == np.float16 and stored.shape == (NUM_CLASSES, 48,
                                                           64)
    np.testing.assert_allclose(  # up to one float16 step
        stored.astype(np.float32), expected.astype(np.float32), rtol=1e-3)
    assert tool.stored_bytes(
        torch.from_numpy(stored.astype(np.float32)), None,
        'float16') == osp.getsize(osp.join(out, 'DemoB', 'DemoB_000305.npz'))

    before = _mtimes(out)
    os.remove(osp.join(out, files[-1]))
    summary = tool.main(argv)
    assert (summary['written'], summary['skipped'], summary['fed']) == (1, 17,
                                                                        1)
    assert {f: t for f, t in _mtimes(out).items() if f != files[-1]} == {
        f: t for f, t in before.items() if f != files[-1]}


def test_full_disk_and_unwritable_folder(demo, tmp_path, monkeypatch):
    config, ckpt = demo['image']
    base = [config, ckpt, '--split', 'test', '--skip-frames', '4']
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.raises(OSError, match=f'{blocker}/logits: cannot create the '
                       'output folder'):
        tool.main(base + ['--out', str(blocker / 'logits')])

    def full_disk(path, array):
        with open(path, 'wb') as f:
            f.write(b'partial')
        raise OSError(errno.ENOSPC, 'No space left on device')

    out = tmp_path / 'full'
    monkeypatch.setattr(tool, 'save_npz', full_disk)
    with pytest.raises(OSError, match=r'DemoV_000000\.npz: no space left on '
                       f'the device of {out}/DemoV') as info:
        tool.main(base + ['--out', str(out)])
    assert info.value.errno == errno.ENOSPC
    assert _files(out) == []  # neither the temporary nor the final file


def test_tool_io_errors_name_the_folder(tmp_path, monkeypatch):
    folder = tmp_path / 'out'
    check_output_dir(str(folder))
    assert os.listdir(folder) == []  # the probe file is gone

    def denied(path):
        raise PermissionError(errno.EACCES, 'Permission denied', path)

    with pytest.raises(PermissionError, match=f'{folder}: the output folder '
                       r'is not writable \(Permission denied\)'):
        write_atomic(str(folder / 'x.npz'), denied)

    def failing(path):
        open(path, 'wb').close()
        raise ValueError('bad array')

    with pytest.raises(ValueError, match='bad array'):
        write_atomic(str(folder / 'x.npz'), failing)
    assert os.listdir(folder) == []
    monkeypatch.setattr(
        'tempfile.mkstemp', lambda **kwargs: denied(kwargs['dir']))
    with pytest.raises(PermissionError, match=f'{folder}: the output folder '
                       'is not writable'):
        check_output_dir(str(folder))


def test_bad_arguments(demo, tmp_path):
    config, ckpt = demo['image']
    base = [config, ckpt, '--out', str(tmp_path / 'o')]
    with pytest.raises(ValueError, match='--skip-frames must be >= 1'):
        tool.main(base + ['--skip-frames', '0'])
    with pytest.raises(ValueError, match='--size must be two positive'):
        tool.main(base + ['--size', '0', '64'])
    with pytest.raises(ValueError, match="model type 'VideoFrameSample' is "
                       'neither'):
        tool.main(base + ['--cfg-options', 'model.type=VideoFrameSample'])
    with pytest.raises(FileNotFoundError, match='absent.py: config file not '
                       'found'):
        tool.main([str(tmp_path / 'absent.py')] + base[1:])
    with pytest.raises(ValueError, match=r'x: logits are not finite in '
                       r'float16 \(\|max\| 7e\+04'):
        tool.to_storage(torch.full((2, 3, 4), 7e4), None, 'float16', 'x')
