# Copyright (c) mmvseg contributors. All rights reserved.
"""Shared parts of the offline tools that write one file per frame
(``tools/misc/compute_flow.py``, ``tools/misc/export_logits.py``).

- :func:`config_videos`: the whole videos of a config's dataset.
- :func:`check_output_dir` and :func:`write_atomic`: output that is either
  complete or absent, and write failures that name the folder or file: an
  unwritable folder (permissions, read-only file system, a file in the
  way) and a full disk (``ENOSPC``) are re-raised as ``OSError`` (its
  ``PermissionError`` subclass for permissions) with the same ``errno``.
"""
import errno
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvseg.registry import DATASETS

#: errno values meaning "this folder cannot be written".
_UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
#: Suffix of the temporary file of :func:`write_atomic`.
TMP_SUFFIX = '.tmp'


def config_videos(cfg: Config, split: str,
                  name: str = 'the config') -> List[Tuple[str, List[str]]]:
    """``(video_id, frame paths)`` of every video of a config's dataset.

    Whole videos (``BaseVideoSegDataset.load_videos``), not the dataset's
    training items or test clips, so that no frame pair is lost at a clip
    border and every frame appears once.

    Args:
        cfg: the config.
        split: ``'train'``, ``'val'`` or ``'test'``: the dataset of
            ``<split>_dataloader``.
        name: the config's name for messages.

    Raises:
        ValueError: the config has no ``<split>_dataloader``, or its dataset
            is not a video dataset.
    """
    loader = cfg.get(f'{split}_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError(f'{name}: no {split}_dataloader.dataset')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(dict(loader['dataset'], lazy_init=True))
    if not hasattr(dataset, 'load_videos'):
        raise ValueError(
            f'{name}: {type(dataset).__name__} is not a video dataset '
            '(mmvseg BaseVideoSegDataset); use --clips with a folder of clips')
    return [(video['video_id'],
             [frame['img_path'] for frame in video['frames']])
            for video in dataset.load_videos()]


def _renamed(error: OSError, path: str, folder: str) -> Optional[OSError]:
    """An error like ``error`` whose message names ``folder`` or ``path``,
    or None for causes other than an unwritable folder or a full disk."""
    if error.errno == errno.ENOSPC:
        return OSError(
            error.errno, f'{path}: no space left on the device of {folder} '
            '(nothing half-written is left there); free space or choose '
            'another output folder')
    if error.errno in _UNWRITABLE:
        return OSError(
            error.errno, f'{folder}: the output folder is not writable '
            f'({error.strerror}); choose another one')
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        return OSError(
            error.errno, f'{folder}: cannot create the output folder '
            f'({error.strerror}: a file is in the way)')
    return None


@contextmanager
def _naming_errors(path: str, folder: str) -> Iterator[None]:
    """Re-raise the ``OSError`` of :func:`_renamed` with its message."""
    try:
        yield
    except OSError as e:
        renamed = _renamed(e, path, folder)
        if renamed is None:
            raise
        raise renamed from e


def check_output_dir(folder: str) -> None:
    """Create ``folder`` and check that a file can be written in it, before
    any work is done.

    Raises:
        OSError: it cannot be created or written (named, see the module
            docstring).
    """
    with _naming_errors(folder, folder):
        os.makedirs(folder, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix='.write_test')
        os.close(handle)
        os.remove(probe)


def write_atomic(path: str, write: Callable[[str], None]) -> None:
    """Write ``path`` as ``write(path + '.tmp')`` then an atomic rename.

    Readers never see a partial file, and a failed or killed write leaves
    nothing under the final name (the temporary file is removed on any
    error; one left by a killed process is overwritten by the next write of
    the same file). The folder is created if needed.

    Args:
        path: the final file.
        write: writes a complete file at the path it is given.

    Raises:
        OSError: the folder cannot be created or written, or the disk is
            full (named, see the module docstring); other errors of
            ``write`` unchanged.
    """
    folder = osp.dirname(path) or '.'
    tmp = path + TMP_SUFFIX
    with _naming_errors(path, folder):
        os.makedirs(folder, exist_ok=True)
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            if osp.exists(tmp):
                os.remove(tmp)
