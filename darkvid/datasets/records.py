"""Split CSV files -> video records.

Two formats are read, both without a header: `path,label` (every split file of the seed) and
`path,label,p0,...,pK-1` (pseudo labels with the ensemble's class probabilities).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np


class SplitFileError(ValueError):
    """A split CSV that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class VideoRecord:
    """One row of a split file.

    Attributes:
        path: full path of the video (video folder joined with `rel_path`).
        rel_path: the path as written in the CSV.
        label: class index, or -1 where the split has no labels.
        probs: float32 class probabilities of a pseudo-label row, else None.
    """

    path: Path
    rel_path: str
    label: int
    probs: Optional[np.ndarray] = None


def read_split_csv(
    csv_path: Path,
    video_dir: Path,
    *,
    num_classes: int,
    allow_unlabelled: bool,
    with_probs: bool = False,
    separator: str = ",",
) -> List[VideoRecord]:
    """Read a split file into records, checking every row.

    Args:
        csv_path: the CSV file.
        video_dir: folder the CSV's paths are relative to.
        num_classes: labels must lie in [0, num_classes); pseudo rows carry this many probs.
        allow_unlabelled: accept label -1 (splits whose labels are hidden).
        with_probs: rows are `path,label,p0..` (pseudo labels) instead of `path,label`.
        separator: field separator.

    Raises:
        SplitFileError: naming the file and line of the first bad row, or an empty file.
    """
    expected = 2 + (num_classes if with_probs else 0)
    records = []
    with open(csv_path, "r", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            fields = [f.strip() for f in line.split(separator)]
            where = f"{csv_path}:{line_no}"
            if len(fields) != expected:
                raise SplitFileError(f"{where}: expected {expected} columns, got {len(fields)}: {line!r}")
            label = _parse_label(fields[1], where, num_classes, allow_unlabelled)
            probs = _parse_probs(fields[2:], where) if with_probs else None
            records.append(VideoRecord(video_dir / fields[0], fields[0], label, probs))
    if not records:
        raise SplitFileError(f"{csv_path}: no rows")
    return records


def _parse_label(text: str, where: str, num_classes: int, allow_unlabelled: bool) -> int:
    try:
        label = int(text)
    except ValueError:
        raise SplitFileError(f"{where}: label {text!r} is not an integer") from None
    if label == -1 and allow_unlabelled:
        return label
    if not 0 <= label < num_classes:
        allowed = f"[0, {num_classes})" + (" or -1" if allow_unlabelled else "")
        raise SplitFileError(f"{where}: label {label} is outside {allowed}")
    return label


def _parse_probs(texts: List[str], where: str) -> np.ndarray:
    try:
        values = [float(t) for t in texts]
    except ValueError:
        raise SplitFileError(f"{where}: class probabilities must be numbers: {texts}") from None
    if not all(math.isfinite(v) for v in values):
        raise SplitFileError(f"{where}: class probabilities must be finite: {texts}")
    return np.asarray(values, dtype=np.float32)
