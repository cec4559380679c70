"""Read and check prediction files (the engine's pkl or its npz twin) and split CSVs.

A prediction file holds `video_preds` (float logits [N, classes]) and `video_labels` (int [N]) in the
row order of its split CSV. Pickles are read with an unpickler that only builds numpy arrays, so a
file from elsewhere cannot run code when it is opened.
"""
from __future__ import annotations

import csv
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}
_REQUIRED_KEYS = ("video_preds", "video_labels")
_OPTIONAL_KEYS = ("video_valid",)


class PredictionError(ValueError):
    """A prediction file or split CSV that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Predictions:
    """One model's per-video outputs over one split."""

    path: Path
    logits: np.ndarray
    labels: np.ndarray

    @property
    def num_videos(self) -> int:
        return int(self.logits.shape[0])


@dataclass(frozen=True)
class SplitRows:
    """The rows of a split CSV: relative paths and labels (-1 when unknown)."""

    path: Path
    paths: list[str]
    labels: np.ndarray


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return super().find_class(module, name)


def _read_raw(path: Path) -> Mapping[str, object]:
    if not path.is_file():
        raise PredictionError(f"prediction file not found: {path}")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (ValueError, OSError) as err:
            raise PredictionError(f"{path}: not a readable npz file: {err}") from err
    try:
        with path.open("rb") as handle:
            return _NumpyOnlyUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as err:
        raise PredictionError(f"{path}: not a dict of numpy arrays: {err}") from err


def load_predictions(path: str | Path, num_classes: Optional[int] = None) -> Predictions:
    """Load one prediction file and check its keys, shapes, values and class count."""
    path = Path(path)
    raw = _read_raw(path)
    if not isinstance(raw, dict):
        raise PredictionError(f"{path}: expected a dict, found {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS))
    missing = [key for key in _REQUIRED_KEYS if key not in raw]
    if unknown or missing:
        raise PredictionError(f"{path}: keys must be {_REQUIRED_KEYS}; missing {missing}, unknown {unknown}")
    logits, labels = raw["video_preds"], raw["video_labels"]
    if not isinstance(logits, np.ndarray) or logits.ndim != 2 or logits.dtype.kind != "f":
        raise PredictionError(f"{path}: video_preds must be a float array [videos, classes]")
    if not isinstance(labels, np.ndarray) or labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
        raise PredictionError(f"{path}: video_labels must be an int array of {logits.shape[0]} labels")
    if num_classes is not None and logits.shape[1] != num_classes:
        raise PredictionError(f"{path}: {logits.shape[1]} classes, expected {num_classes}")
    bad = np.flatnonzero(~np.isfinite(logits).all(axis=1))
    if bad.size:
        raise PredictionError(f"{path}: NaN or infinite logits in {bad.size} videos, first at row {bad[0]}")
    return Predictions(path, logits.astype(np.float32), labels.astype(np.int64))


def load_prediction_set(paths: Mapping[str, str | Path], num_classes: int) -> dict[str, Predictions]:
    """Load several models' files over one split and check that they describe the same videos."""
    missing = [str(path) for path in paths.values() if not Path(path).is_file()]
    if missing:
        raise PredictionError(f"prediction files not found: {', '.join(missing)}")
    loaded = {name: load_predictions(path, num_classes) for name, path in paths.items()}
    check_same_videos(list(loaded.values()))
    return loaded


def check_same_videos(preds: Sequence[Predictions]) -> None:
    """Raise unless all files have the same video count and agree on every known label."""
    if not preds:
        raise PredictionError("no prediction files given")
    first = preds[0]
    for other in preds[1:]:
        if other.num_videos != first.num_videos:
            raise PredictionError(
                f"{first.path} has {first.num_videos} videos but {other.path} has {other.num_videos}")
        known = (first.labels >= 0) & (other.labels >= 0)
        differ = np.flatnonzero(known & (first.labels != other.labels))
        if differ.size:
            raise PredictionError(f"{first.path} and {other.path} disagree on the label of row {differ[0]}")


def read_split_csv(path: str | Path) -> SplitRows:
    """Read a `path,label[,...]` CSV without header; extra columns (pseudo probabilities) are ignored."""
    path = Path(path)
    if not path.is_file():
        raise PredictionError(f"split CSV not found: {path}")
    paths, labels = [], []
    with path.open(newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            try:
                labels.append(int(row[1]))
            except (IndexError, ValueError) as err:
                raise PredictionError(f"{path}:{line_no}: expected 'path,label', found {row[:2]}") from err
            paths.append(row[0])
    return SplitRows(path, paths, np.asarray(labels, dtype=np.int64))


def pair_with_csv(preds: Predictions, rows: SplitRows) -> None:
    """Raise unless `preds` has one video per CSV row and no known label contradicts the CSV."""
    if preds.num_videos != len(rows.paths):
        raise PredictionError(f"{preds.path} has {preds.num_videos} videos but {rows.path} has {len(rows.paths)} rows")
    known = (preds.labels >= 0) & (rows.labels >= 0)
    differ = np.flatnonzero(known & (preds.labels != rows.labels))
    if differ.size:
        row = differ[0]
        raise PredictionError(
            f"{preds.path} row {row} has label {preds.labels[row]} but {rows.path} line {row + 1} "
            f"({rows.paths[row]}) has {rows.labels[row]}")
