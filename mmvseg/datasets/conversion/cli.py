# Copyright (c) mmvseg contributors. All rights reserved.
"""Command-line helpers shared by the aerial video converters.

The options common to ``tools/dataset_converters/uavid_vdd.py`` and
``ruralscapes.py`` (output folder, sizes, threads), the keyword arguments
they give :class:`~.aerial_video.AerialVideoConverter`, and running a
converter to an exit status that reports the damaged archive members.
"""
import argparse
import re
import sys
from typing import Callable, List, Optional

from .aerial_video import AerialVideoConverter
from .pixels import Size


def parse_size(text: str, allow_none: bool = False) -> Optional[Size]:
    """``'2560x1440'`` -> (2560, 1440) (W, H); ``'none'`` -> None when
    ``allow_none``.

    Raises:
        ValueError: not ``<width>x<height>`` with positive ints (or
            ``'none'`` when allowed).
    """
    if allow_none and text.lower() == 'none':
        return None
    match = re.fullmatch(r'(\d+)x(\d+)', text)
    if match is None or 0 in (int(match.group(1)), int(match.group(2))):
        raise ValueError(
            'size must be <width>x<height> with positive integers (e.g. '
            f'2560x1440){" or none" if allow_none else ""}, got {text!r}')
    return int(match.group(1)), int(match.group(2))


def _size_arg(allow_none: bool) -> Callable[[str], Optional[Size]]:
    """argparse ``type`` wrapping :func:`parse_size`."""

    def convert(text: str) -> Optional[Size]:
        try:
            return parse_size(text, allow_none)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from e

    return convert


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``-o/--out-dir``, ``--size``, ``--scaled-size``, ``--nproc``."""
    parser.add_argument(
        '-o', '--out-dir', required=True, help='output root folder')
    parser.add_argument(
        '--size',
        type=_size_arg(allow_none=False),
        default=(2560, 1440),
        help='WxH of the frames and labels of <out-dir>/data '
        '(default 2560x1440, as FraunhoferIVI/SSP)')
    parser.add_argument(
        '--scaled-size',
        type=_size_arg(allow_none=True),
        default=(1280, 736),
        help='WxH of the copy <out-dir>/data_<W>x<H> read by the configs '
        '(default 1280x736, the network input of FraunhoferIVI/SSP); '
        '"none" for no copy')
    parser.add_argument(
        '--nproc', type=int, default=1, help='sequences converted at once')


def report(failures: List[str]) -> int:
    """Print the failures to stderr; the exit status (0 or 1)."""
    if not failures:
        return 0
    print(
        f'{len(failures)} archive members could not be converted (the rest '
        'was; run again after repairing them to finish):',
        file=sys.stderr)
    for failure in failures:
        print(f'  {failure}', file=sys.stderr)
    return 1


def converter_options(args: argparse.Namespace) -> dict:
    """``size``, ``scaled_size`` and ``nproc`` of :func:`add_common_args`,
    as keyword arguments of :class:`~.aerial_video.AerialVideoConverter`."""
    return dict(size=args.size, scaled_size=args.scaled_size, nproc=args.nproc)


def run_converter(converter: AerialVideoConverter) -> int:
    """Run ``converter``, :func:`report` its failures and close it.

    Returns:
        int: the exit status (1: damaged archive members).
    """
    try:
        return report(converter.run())
    finally:
        converter.close()
