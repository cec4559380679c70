"""What to predict: video files, folders (recursive, by extension), glob patterns and split CSVs.

Expansion is lazy: a folder of thousands of files is walked as the prediction consumes it. A path
that does not exist is passed on as it is, so that it gets its own row with the reason instead of
stopping the batch.
"""
from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from darkvid.datasets import read_split_csv

# Container suffixes the decoders read; `--ext` replaces them.
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv")
_GLOB_CHARS = set("*?[")


def expand_inputs(
    items: Iterable[str],
    *,
    extensions: Sequence[str] = VIDEO_EXTENSIONS,
    num_classes: int,
    video_dir: Path | None = None,
    separator: str = ",",
) -> Iterator[Path]:
    """Yield every video named by `items`, in the order given (folders and globs sorted).

    Args:
        items: files, folders, glob patterns or split CSVs (`path,label` rows).
        extensions: suffixes (with the dot, any case) of the videos taken from folders and globs.
        num_classes: the models' class count, to check a split CSV's labels.
        video_dir: folder the paths of a split CSV are relative to; None: the CSV's own folder.
        separator: field separator of split CSVs.
    """
    suffixes = tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions)
    for item in items:
        path = Path(item)
        if path.is_dir():
            yield from _walk(path, suffixes)
        elif path.suffix.lower() == ".csv" and path.is_file():
            base = video_dir if video_dir is not None else path.parent
            records = read_split_csv(path, base, num_classes=num_classes, allow_unlabelled=True, separator=separator)
            yield from (record.path for record in records)
        elif not path.exists() and _GLOB_CHARS & set(item):
            yield from (Path(p) for p in sorted(glob.iglob(item, recursive=True))
                        if Path(p).suffix.lower() in suffixes and Path(p).is_file())
        else:
            yield path


def _walk(folder: Path, suffixes: tuple) -> Iterator[Path]:
    # os.walk with sorted names: a stable order without listing the whole tree first.
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() in suffixes:
                yield Path(root) / name
