"""Decoded-frame cache: every frame of a video decoded once into a uint8 .npy file.

Later reads copy only the sampled frames out of the file (one positioned read per frame), so an
epoch costs no decoding. The file name hashes the video's absolute path, size, modification time and
the cached short side, so an edited video or another size gets a new entry. Files are written to a
temporary name and renamed into place, which keeps concurrent workers and processes from reading
half a file. Each process remembers where a video's entry and its frames lie, so a read costs one
stat of the video, one open of the entry and the reads themselves.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Dict, NamedTuple, Sequence, Tuple

import numpy as np
import torch

from .decoding import FrameReader, IndexChooser, check_video_file, read_all_frames
from .spatial import short_side_resize

_RESIZE_CHUNK = 32


def resize_short_side_uint8(frames: np.ndarray, size: int) -> np.ndarray:
    """uint8 frames [N, H, W, 3] with the short side scaled to `size` (bilinear, rounded)."""
    out = []
    for start in range(0, frames.shape[0], _RESIZE_CHUNK):
        chunk = torch.from_numpy(np.ascontiguousarray(frames[start:start + _RESIZE_CHUNK]))
        chunk = short_side_resize(chunk.permute(0, 3, 1, 2).float(), size)
        out.append(chunk.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


class _Entry(NamedTuple):
    version: Tuple[int, int]
    path: Path
    offset: int
    shape: Tuple[int, ...]


class FrameCache:
    """A `FrameReader` that serves frames from the cache, filling it on first use.

    Args:
        cache_dir: folder of the .npy files (DATA.CACHE_DIR).
        reader: the decoder used to fill the cache.
        short_side: short side of the cached frames; 0 keeps the decoded size.
    """

    def __init__(self, cache_dir: Path, reader: FrameReader, short_side: int = 0) -> None:
        self.cache_dir = Path(cache_dir)
        self.reader = reader
        self.short_side = short_side
        self._entries: Dict[Path, _Entry] = {}

    def entry_path(self, video: Path, stat: os.stat_result | None = None) -> Path:
        """Where the frames of `video` (in its current version, or that of `stat`) are cached."""
        stat = video.stat() if stat is None else stat
        key = f"{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{self.short_side}"
        digest = hashlib.sha1(key.encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.npy"

    def load(self, video: Path, stat: os.stat_result | None = None) -> np.ndarray:
        """All frames of `video`, memory-mapped [N, H, W, 3]; decodes and stores them if absent."""
        stat = check_video_file(video) if stat is None else stat
        entry = self.entry_path(video, stat)
        if entry.is_file():
            try:
                return np.load(entry, mmap_mode="r")
            except (ValueError, OSError):
                pass  # an unreadable entry (e.g. a disk that filled up) is rebuilt below
        frames = read_all_frames(self.reader, video)
        if self.short_side > 0:
            frames = resize_short_side_uint8(frames, self.short_side)
        _save_atomically(entry, frames)
        return np.load(entry, mmap_mode="r")

    def read(self, path: Path, choose: IndexChooser) -> np.ndarray:
        """Frames `choose(frame_count)` of `path`, uint8 [T, H, W, 3]."""
        stat = check_video_file(path)
        version = (stat.st_size, stat.st_mtime_ns)
        entry = self._entries.get(path)
        if entry is None or entry.version != version:
            entry = self._locate(path, stat)
        indices = list(choose(entry.shape[0]))
        try:
            return _read_frames(entry, indices)
        except OSError:
            # The entry vanished or was cut short (another process cleaned the cache): rebuild it.
            self._entries.pop(path, None)
            return np.asarray(self.load(path, stat)[indices])

    def _locate(self, path: Path, stat: os.stat_result) -> _Entry:
        frames = self.load(path, stat)
        entry = _Entry((stat.st_size, stat.st_mtime_ns), Path(frames.filename), frames.offset, frames.shape)
        self._entries[path] = entry
        return entry


def _read_frames(entry: _Entry, indices: Sequence[int]) -> np.ndarray:
    out = np.empty((len(indices), *entry.shape[1:]), np.uint8)
    frame_bytes = out[0].nbytes
    bad = [i for i in indices if not 0 <= i < entry.shape[0]]
    if bad:
        raise IndexError(f"frames {bad} are outside the {entry.shape[0]} frames cached in {entry.path}")
    fd = os.open(entry.path, os.O_RDONLY)
    try:
        for row, index in enumerate(indices):
            if os.preadv(fd, [out[row]], entry.offset + index * frame_bytes) != frame_bytes:
                raise OSError(f"cache entry {entry.path} is shorter than its header says")
    finally:
        os.close(fd)
    return out


def _save_atomically(target: Path, frames: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, frames)
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
