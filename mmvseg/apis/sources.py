# Copyright (c) mmvseg contributors. All rights reserved.
"""Where the frames of a user's video come from, one decoded frame at a time.

Three kinds of source, all read lazily (a long video is never held in
memory):

- a video file (mp4, avi, ... whatever OpenCV's FFmpeg backend decodes),
  read with ``cv2.VideoCapture`` as mmseg's ``demo/video_demo.py`` does;
- a folder of frames, sorted by file name
  (:func:`mmvseg.utils.list_images`), each decoded by
  :func:`mmvseg.utils.read_image` exactly as ``LoadFrameFromFile`` decodes
  a dataset frame (so a folder gives the same pixels as ``tools/test.py``);
- arrays: a (T, H, W, 3) array, or any iterable (list, generator) of
  (H, W, 3) uint8 **BGR** arrays (OpenCV's and mmcv's channel order).

A frame that cannot be decoded (a corrupt image file, a broken packet of a
video, a frame of another size than the first) is yielded as a
:class:`VideoFrame` with ``image=None`` and an ``error`` that names its
index and file, so the caller reports it and goes on (or stops, under
``strict``). A source that does not exist, or is not a video, fails at once.
"""
import os
import os.path as osp
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence, Union

import cv2
import numpy as np

from mmvseg.utils import list_images, read_image
from mmvseg.utils.io import IMAGE_EXTENSIONS

#: Extensions of the files handed to ``cv2.VideoCapture`` (others are tried
#: too, but an image file is refused with a hint to pass its folder).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv', '.flv', '.gif')

SourceType = Union[str, os.PathLike, np.ndarray, Iterable[np.ndarray]]


class FrameDecodeError(ValueError):
    """A frame of a video that cannot be decoded.

    Attributes:
        index: the frame's position in the source (0-based).
        path: the frame's file, or the video file.
        reason: what went wrong.
    """

    def __init__(self, index: int, path: Optional[str], reason: str):
        self.index, self.path, self.reason = index, path, reason
        where = f' ({path})' if path else ''
        super().__init__(f'frame {index}{where}: {reason}')


@dataclass
class VideoFrame:
    """One frame read from a source.

    Attributes:
        index: position in the source, 0-based, counting every frame of the
            source (also the ones skipped by ``every``).
        name: the frame's name for output files: the file stem for a folder
            (``0016E5_07959``), ``'%05d' % index`` otherwise.
        image: (H, W, 3) uint8 BGR pixels, or None when the frame could not
            be decoded.
        path: the frame's file (folder sources), else None.
        error: why the frame could not be decoded (None when it was).
    """
    index: int
    name: str
    image: Optional[np.ndarray]
    path: Optional[str] = None
    error: Optional[FrameDecodeError] = None


def check_frame_selection(every: int, max_frames: Optional[int]) -> None:
    """Check ``every`` (int >= 1) and ``max_frames`` (None or int >= 1).

    Raises:
        ValueError: a bad value (named).
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f'every must be an int >= 1, got {every!r}')
    if max_frames is not None and (isinstance(max_frames, bool)
                                   or not isinstance(max_frames, int)
                                   or max_frames < 1):
        raise ValueError(
            f'max_frames must be an int >= 1 or None, got {max_frames!r}')


class VideoSource(metaclass=ABCMeta):
    """A video read frame by frame.

    Attributes:
        name: the clip name used for output folders (folder base name, video
            file stem, or the ``name`` given for arrays).
        fps: frames per second of the source, None when unknown (folders and
            arrays).
        num_frames: number of frames when known in advance (for progress
            bars), else None.
        location: the path (or ``'<arrays>'``) for messages.
    """

    name: str
    fps: Optional[float] = None
    num_frames: Optional[int] = None
    location: str = '<arrays>'

    def frames(self,
               every: int = 1,
               max_frames: Optional[int] = None) -> Iterator[VideoFrame]:
        """Yield frames 0, every, 2 * every, ... in order.

        Args:
            every: keep one frame in ``every`` (>= 1); the others are skipped
                without decoding where the source allows it.
            max_frames: stop after this many kept frames (None: all).

        Yields:
            VideoFrame: the kept frames, undecodable ones with ``image=None``
            and an ``error``, frames whose size differs from the first
            decoded frame likewise.

        Raises:
            ValueError: ``every`` < 1 or ``max_frames`` < 1.
        """
        check_frame_selection(every, max_frames)
        kept = 0
        first_shape = None
        for frame in self._read(every):
            if max_frames is not None and kept >= max_frames:
                break
            kept += 1
            if frame.image is not None:
                if first_shape is None:
                    first_shape = frame.image.shape
                elif frame.image.shape != first_shape:
                    frame = VideoFrame(
                        frame.index, frame.name, None, frame.path,
                        FrameDecodeError(
                            frame.index, frame.path or self._where(),
                            f'size {frame.image.shape[:2]} (H, W) differs '
                            f'from the first frame\'s {first_shape[:2]}'))
            yield frame

    def _where(self) -> Optional[str]:
        return None if self.location == '<arrays>' else self.location

    @abstractmethod
    def _read(self, every: int) -> Iterator[VideoFrame]:
        """Yield every ``every``-th frame, decoded or with its error."""


class FolderSource(VideoSource):
    """The image files of a folder, sorted by name, as one video.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: it holds no image file.
    """

    def __init__(self, folder: str, fps: Optional[float] = None) -> None:
        self.files = list_images(folder)
        self.location = folder
        self.name = osp.basename(osp.normpath(folder))
        self.fps = fps
        self.num_frames = len(self.files)

    def _read(self, every: int) -> Iterator[VideoFrame]:
        for index in range(0, len(self.files), every):
            path = self.files[index]
            name = osp.splitext(osp.basename(path))[0]
            try:
                image = read_image(path)
            except (OSError, ValueError) as e:
                yield VideoFrame(index, name, None, path,
                                 FrameDecodeError(index, path, str(e)))
                continue
            if image.ndim != 3 or image.shape[2] != 3:
                yield VideoFrame(
                    index, name, None, path,
                    FrameDecodeError(index, path, 'not a 3-channel image'))
                continue
            yield VideoFrame(index, name, image, path)


class VideoFileSource(VideoSource):
    """A video file decoded by OpenCV (``cv2.VideoCapture``).

    A read that fails before the frame count announced by the container is
    a corrupt frame: it is reported and reading goes on with the next one
    (FFmpeg resynchronises on the next packet). Failures that last until
    the announced end are reported as one truncated tail. Without a frame
    count, the first failed read ends the video.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: OpenCV cannot open it as a video, or it has no readable
            frame, or it is an image file.
    """

    def __init__(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: video file not found')
        if path.lower().endswith(IMAGE_EXTENSIONS):
            raise ValueError(
                f'{path}: an image file, not a video; to segment a video '
                'stored as frames, pass the folder that holds them')
        self.location = path
        self.name = osp.splitext(osp.basename(path))[0]
        capture = cv2.VideoCapture(path)
        try:
            if not capture.isOpened():
                raise ValueError(
                    f'{path}: not a video that OpenCV can open (FFmpeg '
                    'backend); supported are mp4, avi, mov, mkv, ... files')
            fps = capture.get(cv2.CAP_PROP_FPS)
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            ok, _ = capture.read()
            if not ok:
                raise ValueError(f'{path}: no frame of the video can be '
                                 'decoded (empty or corrupt file)')
        finally:
            capture.release()
        self.fps = float(fps) if fps and fps > 0 else None
        self.num_frames = count if count > 0 else None

    def _read(self, every: int) -> Iterator[VideoFrame]:
        capture = cv2.VideoCapture(self.location)
        count = self.num_frames
        failed = []  # indices of consecutive failed reads
        try:
            index = 0
            while count is None or index < count:
                if index % every:
                    ok = capture.grab()
                    image = None
                else:
                    ok, image = capture.read()
                if not ok and count is None:
                    break
                if not ok:
                    if index % every == 0:
                        failed.append(index)
                    index += 1
                    continue
                for bad in failed:
                    yield self._failed(bad, 'cannot decode the frame '
                                       '(corrupt data in the video)')
                failed = []
                if image is not None:
                    yield VideoFrame(index, f'{index:05d}', image)
                index += 1
            if failed:
                reason = (f'cannot decode frames {failed[0]}..{count - 1} of '
                          f'the {count} the file announces (truncated or '
                          'corrupt end)')
                yield self._failed(failed[0], reason)
        finally:
            capture.release()

    def _failed(self, index: int, reason: str) -> VideoFrame:
        return VideoFrame(index, f'{index:05d}', None, None,
                          FrameDecodeError(index, self.location, reason))


class ArraySource(VideoSource):
    """Frames given as arrays: a (T, H, W, 3) array or an iterable of
    (H, W, 3) uint8 BGR arrays, consumed lazily (a generator works).

    Raises:
        ValueError: (when its frame is reached) an item that is not an
            (H, W, 3) uint8 array; the message gives its index.
    """

    def __init__(self,
                 frames: Union[np.ndarray, Iterable[np.ndarray]],
                 name: str = 'video',
                 fps: Optional[float] = None) -> None:
        if isinstance(frames, np.ndarray) and frames.ndim != 4:
            raise ValueError('an array video must be (T, H, W, 3), got shape '
                             f'{frames.shape}')
        self._frames = frames
        self.name = name
        self.fps = fps
        self.num_frames = len(frames) if isinstance(
            frames, (Sequence, np.ndarray)) else None

    def _read(self, every: int) -> Iterator[VideoFrame]:
        for index, image in enumerate(self._frames):
            if index % every:
                continue
            if not isinstance(image, np.ndarray) or image.ndim != 3 or \
                    image.shape[2] != 3 or image.dtype != np.uint8:
                what = f'{image.dtype} array of shape {image.shape}' \
                    if isinstance(image, np.ndarray) else type(image).__name__
                raise ValueError(f'frame {index}: expected an (H, W, 3) uint8 '
                                 f'BGR array, got {what}')
            yield VideoFrame(index, f'{index:05d}', image)


def open_video_source(source: SourceType,
                      name: Optional[str] = None,
                      fps: Optional[float] = None) -> VideoSource:
    """Open a video file, a folder of frames or arrays as a source.

    Args:
        source: a video file path, a folder of frame images, a (T, H, W, 3)
            uint8 array, or an iterable of (H, W, 3) uint8 BGR arrays.
        name: clip name for arrays (default ``'video'``); paths are named
            after the folder or the file stem.
        fps: frame rate of folder and array sources (unknown otherwise);
            video files report their own.

    Returns:
        VideoSource: the opened source.

    Raises:
        FileNotFoundError: a path that does not exist (named).
        ValueError: a file that is not a video OpenCV can decode, an image
            file, a folder without images, an array of the wrong shape.
        TypeError: a source of another type.
    """
    if isinstance(source, VideoSource):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if osp.isdir(path):
            return FolderSource(path, fps=fps)
        if not osp.exists(path):
            raise FileNotFoundError(
                f'{path}: no such video file or folder of frames')
        return VideoFileSource(path)
    if isinstance(source, np.ndarray) or (isinstance(source, Iterable)
                                          and not isinstance(source, bytes)):
        return ArraySource(source, name=name or 'video', fps=fps)
    raise TypeError('a video source is a video file, a folder of frames, a '
                    '(T, H, W, 3) array or an iterable of (H, W, 3) arrays; '
                    f'got {type(source).__name__}')
