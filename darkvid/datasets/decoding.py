"""Decode the frames a clip needs from a video file, as uint8 RGB arrays [T, H, W, 3].

A reader's `read(path, choose)` opens the video, takes the frame count from the container, asks
`choose(count)` for the indices and decodes only those (PyAV stops after the last needed frame).
Indices past the frames the file really holds repeat its last frame.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Callable, Dict, List, Protocol, Sequence

import av
import numpy as np
from av.video.reformatter import VideoReformatter

logger = logging.getLogger(__name__)

IndexChooser = Callable[[int], Sequence[int]]

_warned_decord_missing = False


class VideoDecodeError(RuntimeError):
    """A video that is missing, empty or cannot be decoded; the message names the file."""


class FrameReader(Protocol):
    """Anything that returns the chosen frames of a video."""

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        """Frames `choose(frame_count)` of `path`, uint8 [T, H, W, 3]."""


def check_video_file(path: Path) -> os.stat_result:
    """Raise `VideoDecodeError` for a missing or empty file, before a decoder sees it.

    Returns the file's stat (one system call per video read), which the frame cache keys on.
    """
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise VideoDecodeError(f"video not found: {path}")
    if info.st_size == 0:
        raise VideoDecodeError(f"video file is empty: {path}")
    return info


def _rgb(frame: av.VideoFrame, reformatter: VideoReformatter) -> np.ndarray:
    # `to_ndarray(format=...)` builds a new swscale context per frame, which cost more than
    # decoding; one reformatter per video reuses it and gives the same pixels.
    return reformatter.reformat(frame, format="rgb24").to_ndarray()


class PyAVReader:
    """PyAV decoding that stops at the last needed frame and converts only the chosen frames to RGB.

    With `multi_thread` the codec decodes with frame and slice threads (DATA_LOADER.
    ENABLE_MULTI_THREAD_DECODE), else with one thread; the pixels are the same either way.
    """

    def __init__(self, multi_thread: bool = False) -> None:
        self.multi_thread = multi_thread

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        """Frames `choose(frame_count)` of `path`, uint8 [T, H, W, 3]."""
        check_video_file(path)
        try:
            with av.open(str(path)) as container:
                if not container.streams.video:
                    raise VideoDecodeError(f"no video stream in {path}")
                stream = container.streams.video[0]
                if self.multi_thread:
                    stream.thread_type = "AUTO"
                else:
                    # FFmpeg's default starts slice threads for every opened video, which costs
                    # more than decoding a short clip and oversubscribes the loader's workers.
                    stream.codec_context.thread_count = 1
                if stream.frames > 0:
                    return self._decode_some(container, stream, list(choose(stream.frames)), path)
                reformatter = VideoReformatter()
                frames = [_rgb(f, reformatter) for f in container.decode(stream)]
        except av.FFmpegError as err:
            raise VideoDecodeError(f"cannot decode {path}: {err}") from err
        if not frames:
            raise VideoDecodeError(f"no frames decoded from {path}")
        return np.stack([frames[min(i, len(frames) - 1)] for i in choose(len(frames))])

    @staticmethod
    def _decode_some(container, stream, wanted: List[int], path: Path) -> np.ndarray:
        needed = set(wanted)
        last_needed = max(wanted)
        got: Dict[int, np.ndarray] = {}
        reformatter = VideoReformatter()
        frame, count = None, 0
        for count, frame in enumerate(container.decode(stream), start=1):
            if count - 1 in needed:
                got[count - 1] = _rgb(frame, reformatter)
            if count - 1 >= last_needed:
                break
        if frame is None:
            raise VideoDecodeError(f"no frames decoded from {path}")
        if len(got) < len(needed):
            got.setdefault(count - 1, _rgb(frame, reformatter))
        return np.stack([got[min(i, count - 1)] for i in wanted])


class DecordReader:
    """decord decoding of the chosen frames in one batch (as the seed read its videos)."""

    def __init__(self, multi_thread: bool = False) -> None:
        import decord

        self._decord = decord
        self.num_threads = 0 if multi_thread else 1

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        """Frames `choose(frame_count)` of `path`, uint8 [T, H, W, 3]."""
        check_video_file(path)
        try:
            reader = self._decord.VideoReader(str(path), num_threads=self.num_threads)
            length = len(reader)
            if length < 1:
                raise VideoDecodeError(f"no frames in {path}")
            wanted = [min(i, length - 1) for i in choose(length)]
            return reader.get_batch(wanted).asnumpy()
        except (self._decord.DECORDError, RuntimeError) as err:
            if isinstance(err, VideoDecodeError):
                raise
            raise VideoDecodeError(f"cannot decode {path}: {err}") from err


def decord_available() -> bool:
    """Whether decord can be imported here."""
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def make_reader(backend: str, multi_thread: bool = False) -> FrameReader:
    """The reader of DATA.DECODING_BACKEND; decord falls back to PyAV (warned once) where absent."""
    global _warned_decord_missing
    if backend == "decord":
        if decord_available():
            return DecordReader(multi_thread)
        if not _warned_decord_missing:
            logger.warning("DATA.DECODING_BACKEND is 'decord' but decord is not installed; using PyAV")
            _warned_decord_missing = True
        return PyAVReader(multi_thread)
    if backend == "pyav":
        return PyAVReader(multi_thread)
    raise ValueError(f"DATA.DECODING_BACKEND {backend!r} is not one of 'pyav', 'decord'")


def read_all_frames(reader: FrameReader, path: Path) -> np.ndarray:
    """Every frame of `path` (as many as the container reports), uint8 [N, H, W, 3]."""
    return reader.read(path, lambda length: range(length))

