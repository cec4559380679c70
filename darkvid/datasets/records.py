"""Split CSV files: the one reader and writer of the `path,label[,p0..pK-1]` format.

Two formats, both without a header: `path,label` (every split file of the seed) and
`path,label,p0,...,pK-1` (pseudo labels with the ensemble's class probabilities). The dataset reads
them as `VideoRecord`s; the ensemble, scoring and the report read them as a `SplitList` (no video
folder). Only numpy is imported, so the ensemble tools stay free of torch.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from darkvid.ensemble.io import atomic_write_text

SEPARATOR = ","
_Row = tuple[str, int, np.ndarray | None]


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
    probs: np.ndarray | None = None


def read_split_csv(
    csv_path: Path,
    video_dir: Path,
    *,
    num_classes: int,
    allow_unlabelled: bool,
    with_probs: bool = False,
    separator: str = SEPARATOR,
) -> list[VideoRecord]:
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
    rows = _read_rows(Path(csv_path), num_classes, allow_unlabelled, with_probs, separator)
    return [VideoRecord(video_dir / rel, rel, label, probs) for rel, label, probs in rows]


@dataclass(frozen=True)
class SplitList:
    """A split file's rows without a video folder: what prediction files and submissions are keyed by.

    Attributes:
        path: the CSV file.
        paths: the relative video paths, in file order (unique).
        labels: int64 labels, -1 where unknown.
        probs: float32 [N, K] class probabilities of a pseudo-label file, else None.
    """

    path: Path
    paths: tuple[str, ...]
    labels: np.ndarray
    probs: np.ndarray | None = None


def read_split_list(csv_path: str | Path, *, num_classes: int, allow_unlabelled: bool = True,
                    with_probs: bool = False) -> SplitList:
    """Read a split file as ids, labels (and probabilities), refusing duplicate paths.

    Raises:
        SplitFileError: naming the file and line of the first bad or repeated row.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise SplitFileError(f"split CSV not found: {csv_path}")
    rows = _read_rows(csv_path, num_classes, allow_unlabelled, with_probs, SEPARATOR, unique=True)
    probs = np.stack([p for _, _, p in rows]) if with_probs else None
    return SplitList(csv_path, tuple(r[0] for r in rows), np.array([r[1] for r in rows], dtype=np.int64), probs)


def write_split_csv(path: str | Path, paths: Sequence[str], labels: Sequence[int], *, num_classes: int,
                    probs: np.ndarray | None = None) -> Path:
    """Check, then write `path,label[,p0..]` rows atomically (probabilities as Python float text).

    Raises:
        SplitFileError: naming the row of a path with a separator or line break, a repeated path,
            a label outside [0, num_classes) or -1, or probabilities that are not `num_classes` finite numbers.
    """
    if len(paths) != len(labels) or (probs is not None and len(probs) != len(paths)):
        raise SplitFileError(f"{path}: {len(paths)} paths, {len(labels)} labels and "
                             f"{'no' if probs is None else len(probs)} probability rows")
    lines, seen = [], {}
    for row, (rel, label) in enumerate(zip(paths, labels), start=1):
        where = f"{path}: row {row} ({rel!r})"
        if not rel or any(c in rel for c in (SEPARATOR, "\n", "\r")) or rel != rel.strip():
            raise SplitFileError(f"{where}: a video path must be non-empty, without separators, line breaks "
                                 "or surrounding spaces")
        _check_new(rel, row, seen, str(path))
        fields = [rel, str(_parse_label(str(int(label)), where, num_classes, True))]
        if probs is not None:
            texts = [repr(float(p)) for p in probs[row - 1]]
            if len(texts) != num_classes:
                raise SplitFileError(f"{where}: {len(texts)} probabilities, expected {num_classes}")
            _parse_probs(texts, where)
            fields += texts
        lines.append(SEPARATOR.join(fields) + "\n")
    return atomic_write_text(path, "".join(lines))


def _read_rows(csv_path: Path, num_classes: int, allow_unlabelled: bool, with_probs: bool,
               separator: str, unique: bool = False) -> list[_Row]:
    expected = 2 + (num_classes if with_probs else 0)
    rows: list[_Row] = []
    seen: dict = {}
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
            if unique:
                _check_new(fields[0], line_no, seen, str(csv_path))
            rows.append((fields[0], label, probs))
    if not rows:
        raise SplitFileError(f"{csv_path}: no rows")
    return rows


def _check_new(rel: str, line: int, seen: dict, where: str) -> None:
    if rel in seen:
        raise SplitFileError(f"{where}:{line}: video {rel!r} is listed again (first on line {seen[rel]})")
    seen[rel] = line


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


def _parse_probs(texts: list[str], where: str) -> np.ndarray:
    try:
        values = [float(t) for t in texts]
    except ValueError:
        raise SplitFileError(f"{where}: class probabilities must be numbers: {texts}") from None
    if not all(math.isfinite(v) for v in values):
        raise SplitFileError(f"{where}: class probabilities must be finite: {texts}")
    return np.asarray(values, dtype=np.float32)
