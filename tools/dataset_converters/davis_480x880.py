# Copyright (c) mmvseg contributors. All rights reserved.
"""Make the 480x880 copy of DAVIS that CatMAE's label propagation uses.

CatMAE (minhoooo1/CatMAE ``downstream/davis2017-seg/convert_480_880.py``,
run by its ``download_process_data.sh``) resizes every frame and every
annotation of ``JPEGImages/480p`` and ``Annotations/480p`` to 880x480 with
PIL nearest-neighbour sampling (frames too, not bilinear) and saves them
with PIL's defaults: JPEGs are re-encoded at quality 75, palette PNGs keep
mode ``P`` and their palette. Its J&F numbers are measured on these frames
against these resized annotations (``--davis_path .../DAVIS_480_880`` in
CatMAE's ``downstream/davis2017-seg/DAVIS.md``), so they are not native-size
numbers: widths 854 -> 880 duplicate 26 columns, ``bike-packing`` (910) and
``shooting`` (1152) are squeezed, and the boundary tolerance of F becomes
9 px instead of 8 px at 854 wide.

Unlike the original, which overwrites the files in place, this tool writes a
new dataset root and copies ``ImageSets`` unchanged, so the native data stays
usable. It is resumable: a video whose output folder holds a ``.done``
marker is skipped. A file PIL cannot read stops the run with its path.

Usage::

    python tools/dataset_converters/davis_480x880.py data/DAVIS \\
        data/DAVIS_480_880
"""
import argparse
import os
import os.path as osp
import shutil
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import ProgressBar, mkdir_or_exist
from PIL import Image, UnidentifiedImageError

#: (width, height) of CatMAE's copy.
CATMAE_SIZE = (880, 480)
FOLDERS = ('JPEGImages/480p', 'Annotations/480p')
SUFFIXES = ('.jpg', '.png')
DONE_MARKER = '.done'


def resize_file(src: str, dst: str, size: Tuple[int, int],
                jpeg_quality: int) -> None:
    """Nearest-resize one frame or annotation to ``size`` (width, height).

    The PIL mode is kept (``P`` PNGs keep their palette, 0/255 ``L`` masks
    stay binary); JPEGs are written at ``jpeg_quality``.

    Raises:
        ValueError: ``src`` is not a readable image (names the file).
    """
    try:
        with Image.open(src) as image:
            resized = image.resize(size, Image.NEAREST)
    except (OSError, UnidentifiedImageError) as err:
        raise ValueError(f'cannot read image {src}: {err}') from err
    options = dict(quality=jpeg_quality) if dst.endswith('.jpg') else {}
    resized.save(dst, **options)


def convert_video(src_root: str, dst_root: str, video: str,
                  size: Tuple[int, int], jpeg_quality: int) -> None:
    """Resize the frames and annotations of one video, then mark it done."""
    for folder in FOLDERS:
        src_dir = osp.join(src_root, folder, video)
        if not osp.isdir(src_dir):
            continue
        dst_dir = osp.join(dst_root, folder, video)
        mkdir_or_exist(dst_dir)
        for name in sorted(os.listdir(src_dir)):
            if name.endswith(SUFFIXES):
                resize_file(
                    osp.join(src_dir, name), osp.join(dst_dir, name), size,
                    jpeg_quality)
    with open(osp.join(dst_root, FOLDERS[0], video, DONE_MARKER), 'w'):
        pass


def list_videos(src_root: str) -> List[str]:
    """Video folders of ``JPEGImages/480p``, sorted.

    Raises:
        FileNotFoundError: ``src_root`` has no ``JPEGImages/480p`` folder.
    """
    frames_dir = osp.join(src_root, FOLDERS[0])
    if not osp.isdir(frames_dir):
        raise FileNotFoundError(
            f'{frames_dir} not found: SRC must be a DAVIS root holding '
            'JPEGImages/480p and Annotations/480p')
    return sorted(name for name in os.listdir(frames_dir)
                  if osp.isdir(osp.join(frames_dir, name)))


def convert(src_root: str,
            dst_root: str,
            size: Tuple[int, int] = CATMAE_SIZE,
            jpeg_quality: int = 75,
            videos: Optional[Sequence[str]] = None) -> List[str]:
    """Write the resized copy of a DAVIS root (see the module doc).

    Args:
        src_root: DAVIS root with ``JPEGImages/480p``, ``Annotations/480p``
            and ``ImageSets``.
        dst_root: output root (created); must differ from ``src_root``.
        size: (width, height) of the copy.
        jpeg_quality: JPEG quality of the re-encoded frames (PIL default 75).
        videos: convert only these videos (default: all).

    Returns:
        list[str]: the videos converted now (finished ones are skipped).

    Raises:
        ValueError: ``dst_root`` is ``src_root``, or an unreadable image.
        FileNotFoundError: no ``JPEGImages/480p`` in ``src_root``.
    """
    if osp.realpath(src_root) == osp.realpath(dst_root):
        raise ValueError('DST must differ from SRC (the source stays as is)')
    todo = [
        video for video in (videos or list_videos(src_root)) if not osp.isfile(
            osp.join(dst_root, FOLDERS[0], video, DONE_MARKER))
    ]
    image_sets = osp.join(src_root, 'ImageSets')
    if osp.isdir(image_sets):
        shutil.copytree(
            image_sets, osp.join(dst_root, 'ImageSets'), dirs_exist_ok=True)
    progress = ProgressBar(len(todo)) if todo else None
    for video in todo:
        convert_video(src_root, dst_root, video, size, jpeg_quality)
        progress.update()
    return todo


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Nearest-resize DAVIS frames and annotations to 880x480 '
        '(CatMAE protocol) into a new root')
    parser.add_argument('src', help='DAVIS root (JPEGImages/480p, ...)')
    parser.add_argument('dst', help='output root')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=CATMAE_SIZE,
        metavar=('WIDTH', 'HEIGHT'),
        help='output size (default: 880 480)')
    parser.add_argument(
        '--jpeg-quality', type=int, default=75, help='JPEG quality (75)')
    parser.add_argument(
        '--videos', nargs='+', help='only these videos (default: all)')
    args = parser.parse_args(argv)
    done = convert(args.src, args.dst, tuple(args.size), args.jpeg_quality,
                   args.videos)
    print(f'\nconverted {len(done)} videos to {args.dst}')


if __name__ == '__main__':
    main()
