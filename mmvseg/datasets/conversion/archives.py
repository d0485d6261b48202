# Copyright (c) mmvseg contributors. All rights reserved.
"""Read-only access to the source archives of a dataset conversion.

:class:`ArchiveSet` reads members of zip archives and extracted folders
alike, finds the members of each sequence by name pattern, and turns every
sign of damage (bad CRC, corrupt or truncated data, undecodable image) into
:class:`MemberError`, which names the archive and member, so that a
converter can report it and go on with the rest.
"""
import contextlib
import logging
import os
import os.path as osp
import shutil
import zipfile
import zlib
from collections import defaultdict
from typing import Dict, Iterator, List, Pattern, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from ..aerial_video import parse_frame_number


class MemberError(Exception):
    """An archive member that cannot be read or decoded.

    ``str(error)`` is ``'<archive>:<member>: <reason>'``.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f'{where}: {reason}')
        self.where = where
        self.reason = reason


class ArchiveSet:
    """Read-only union of zip archives and extracted folders.

    Member names are the paths inside a zip (``/``-separated) or relative
    to a folder; when several sources hold the same name, the first wins.

    Args:
        sources: zip files or folders.

    Raises:
        FileNotFoundError: a source does not exist.
        ValueError: a file that is not a readable zip archive (wrong format,
            or its central directory is damaged, e.g. a truncated download).
    """

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = list(sources)
        self._members: Dict[str, Tuple[str, Union[zipfile.ZipInfo,
                                                  str]]] = {}
        self._zips: Dict[str, zipfile.ZipFile] = {}
        for source in self.sources:
            if osp.isdir(source):
                for dirpath, _, files in os.walk(source):
                    for file in files:
                        path = osp.join(dirpath, file)
                        name = osp.relpath(path, source).replace(os.sep, '/')
                        self._members.setdefault(name, (source, path))
            elif osp.isfile(source):
                try:
                    archive = zipfile.ZipFile(source)
                except (zipfile.BadZipFile, OSError) as e:
                    raise ValueError(
                        f'{source}: not a readable zip archive ({e}); a '
                        'truncated download damages the zip directory, '
                        'download it again') from e
                self._zips[source] = archive
                for info in archive.infolist():
                    if not info.is_dir():
                        self._members.setdefault(info.filename,
                                                 (source, info))
            else:
                raise FileNotFoundError(f'{source}: archive or folder not '
                                        'found')

    def close(self) -> None:
        """Close the zip files."""
        for archive in self._zips.values():
            archive.close()

    @property
    def names(self) -> List[str]:
        """All member names, sorted."""
        return sorted(self._members)

    def where(self, name: str) -> str:
        """``'<source>:<member>'``, to name a member in messages."""
        source, _ = self._members[name]
        return f'{source}:{name}'

    def members_by_sequence(self, pattern: Pattern[str]) -> Dict[str, str]:
        """Sequence -> member, for the members that ``pattern`` matches.

        Args:
            pattern: matched (``search``) against every member name; group 1
                is the sequence. The first matching member of a sequence, in
                sorted order, wins.
        """
        found: Dict[str, str] = {}
        for name in self.names:
            match = pattern.search(name)
            if match:
                found.setdefault(match.group(1), name)
        return found

    def frames_by_sequence(
            self, pattern: Pattern[str]) -> Dict[str, Dict[int, str]]:
        """Sequence -> frame index -> member (e.g. the labels).

        Args:
            pattern: matched (``search``) against every member name; group 1
                is the sequence, group 2 the file stem, whose trailing number
                (:func:`parse_frame_number`) is the frame index. A stem
                without one is logged as a warning and skipped.

        Returns:
            defaultdict: an empty dict for a sequence without such members.
        """
        found: Dict[str, Dict[int, str]] = defaultdict(dict)
        for name in self.names:
            match = pattern.search(name)
            if match is None:
                continue
            try:
                index = parse_frame_number(self.where(name), match.group(2))
            except ValueError as e:
                print_log(
                    f'{e}; skipped', logger='current', level=logging.WARNING)
                continue
            found[match.group(1)].setdefault(index, name)
        return found

    @contextlib.contextmanager
    def _open(self, name: str):
        source, entry = self._members[name]
        if isinstance(entry, str):
            with open(entry, 'rb') as f:
                yield f
        else:
            with self._zips[source].open(entry) as f:
                yield f

    @contextlib.contextmanager
    def _guard(self, name: str) -> Iterator[None]:
        """Turn the errors of a damaged member into :class:`MemberError`."""
        try:
            yield
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                OSError) as e:
            raise MemberError(
                self.where(name),
                f'corrupt or truncated archive member ({e})') from e

    def read(self, name: str) -> bytes:
        """The bytes of a member (CRC-checked for zip members).

        Raises:
            KeyError: no such member.
            MemberError: the member is damaged (bad CRC, corrupt compressed
                data, truncated, unsupported compression).
        """
        with self._guard(name), self._open(name) as f:
            return f.read()

    def read_image(self, name: str, flag: int) -> np.ndarray:
        """Read and decode an image member (:func:`decode_image`).

        Raises:
            KeyError: no such member.
            MemberError: the member is damaged or not a decodable image.
        """
        return decode_image(self.read(name), self.where(name), flag)

    @contextlib.contextmanager
    def local_path(self, name: str, tmp_dir: str) -> Iterator[str]:
        """A file path holding the member (zip members: a temporary copy).

        Raises:
            MemberError: the member is damaged.
        """
        source, entry = self._members[name]
        if isinstance(entry, str):
            yield entry
            return
        mkdir_or_exist(tmp_dir)
        path = osp.join(tmp_dir, 'member' + osp.splitext(name)[1])
        try:
            with self._guard(name), self._open(name) as src, \
                    open(path, 'wb') as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            yield path
        finally:
            if osp.exists(path):
                os.remove(path)


def decode_image(data: bytes, where: str, flag: int) -> np.ndarray:
    """Decode PNG/JPEG bytes with OpenCV.

    Args:
        data: the file content.
        where: the member, for the message.
        flag: ``cv2.IMREAD_COLOR`` ((H, W, 3) uint8 BGR) or
            ``cv2.IMREAD_GRAYSCALE`` ((H, W) uint8).

    Raises:
        MemberError: empty, corrupt or truncated image.
    """
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flag) if data else None
    if img is None:
        raise MemberError(where, 'cannot decode the image (corrupt or '
                          'truncated file)')
    return img
