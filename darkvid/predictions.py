"""Prediction files: one model's per-video logits over one split, keyed by video id.

A file is a table: `ids` (the split CSV's relative paths), `logits` float32 [N, C], `labels` int64
(-1 unknown), `valid` bool (False: a video whose clips could not all be decoded) and what made it
(`PredictionMeta`). It is written twice, as `.pkl` (keys `video_preds`, `video_labels`,
`video_valid`, `video_ids`, `meta`: the seed's two keys keep their meaning) and as an `.npz` twin.
Pickles are read with an unpickler that builds only numpy arrays and plain values, so a file from
elsewhere cannot run code. Older files without ids (the seed's, darkvid's first ones) load with the
ids of the split CSV they were made from, by row order, and a warning. Only numpy is imported.
"""
from __future__ import annotations

import io
import json
import pickle
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from darkvid.datasets.records import SplitList
from darkvid.ensemble.io import atomic_write_bytes

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}
_KEYS = ("video_preds", "video_labels", "video_valid", "video_ids", "meta")
_SHOWN = 5  # ids named in an error


class PredictionError(ValueError):
    """A prediction file, or a set of them, that cannot be used; the message names the files and videos."""


class LegacyPredictionWarning(UserWarning):
    """A prediction file without video ids: its rows were matched to the split CSV by order."""


@dataclass(frozen=True)
class PredictionMeta:
    """What made a prediction file; empty values where an older file does not say."""

    model: str = ""  # experiment (OUTPUT_DIR) name
    arch: str = ""  # MODEL.ARCH
    config_digest: str = ""  # sha256 of the resolved config
    split: str = ""  # TEST.DATA_SELECT
    views: int = 0  # TEST.NUM_ENSEMBLE_VIEWS
    crops: int = 0  # TEST.NUM_SPATIAL_CROPS
    class_names: tuple[str, ...] = ()  # DATA.CLASS_NAMES

    @classmethod
    def from_dict(cls, data: Any, where: str) -> PredictionMeta:
        """Parse the `meta` entry of a file, refusing unknown keys."""
        if not isinstance(data, dict):
            raise PredictionError(f"{where}: meta must be a mapping")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise PredictionError(f"{where}: unknown meta keys {unknown}")
        data = dict(data, class_names=tuple(str(n) for n in data.get("class_names", ())))
        return cls(**data)


@dataclass(frozen=True)
class PredictionTable:
    """Per-video predictions keyed by id; `source` is the file it came from (for messages)."""

    ids: tuple[str, ...]
    logits: np.ndarray
    labels: np.ndarray
    valid: np.ndarray
    meta: PredictionMeta = field(default_factory=PredictionMeta)
    source: str = "predictions"

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.logits.ndim != 2 or self.logits.shape[0] != n or self.labels.shape != (n,) or self.valid.shape != (n,):
            raise PredictionError(f"{self.source}: {n} ids but logits {self.logits.shape}, labels "
                                  f"{self.labels.shape}, valid {self.valid.shape}")
        if len(set(self.ids)) != n:
            seen: set[str] = set()
            repeated = next(vid for vid in self.ids if vid in seen or seen.add(vid))
            raise PredictionError(f"{self.source}: video {repeated!r} appears twice")

    @property
    def num_videos(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> PredictionTable:
        """The rows `rows`, in that order."""
        return PredictionTable(tuple(self.ids[i] for i in rows), self.logits[rows], self.labels[rows],
                               self.valid[rows], self.meta, self.source)


def prediction_file_name(split: str, num_frames: int, crop_size: int, views: int, crops: int) -> str:
    """`{split}x{frames}x{crop}x{views}x{crops}.pkl`, the name the tester writes and the pipeline reads."""
    return f"{split}x{num_frames}x{crop_size}x{views}x{crops}.pkl"


def write_predictions(path: str | Path, table: PredictionTable) -> Path:
    """Write the table as `.pkl` and its `.npz` twin, each complete or absent; returns the pkl path."""
    path = Path(path)
    arrays = {"video_preds": table.logits.astype(np.float32), "video_labels": table.labels.astype(np.int64),
              "video_valid": table.valid.astype(bool)}
    meta = dict(asdict(table.meta), class_names=list(table.meta.class_names))
    atomic_write_bytes(path, pickle.dumps({**arrays, "video_ids": list(table.ids), "meta": meta}, protocol=4))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, video_ids=np.array(table.ids, dtype=str), meta=np.array(json.dumps(meta)))
    atomic_write_bytes(path.with_suffix(".npz"), buffer.getvalue())
    return path


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return super().find_class(module, name)


def _read_raw(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PredictionError(f"prediction file not found: {path}")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                raw = {key: data[key] for key in data.files}
        except (ValueError, OSError) as err:
            raise PredictionError(f"{path}: not a readable npz file: {err}") from err
        if "meta" in raw:
            raw["meta"] = json.loads(str(raw["meta"]))
        return raw
    try:
        with path.open("rb") as handle:
            raw = _NumpyOnlyUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as err:
        raise PredictionError(f"{path}: not a dict of numpy arrays: {err}") from err
    if not isinstance(raw, dict):
        raise PredictionError(f"{path}: expected a dict, found {type(raw).__name__}")
    return raw


def _arrays(raw: dict[str, Any], path: Path, num_classes: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    unknown = sorted(set(raw) - set(_KEYS))
    missing = [key for key in _KEYS[:2] if key not in raw]
    if unknown or missing:
        raise PredictionError(f"{path}: keys must be among {_KEYS}; missing {missing}, unknown {unknown}")
    logits, labels = raw["video_preds"], raw["video_labels"]
    if not isinstance(logits, np.ndarray) or logits.ndim != 2 or logits.dtype.kind != "f":
        raise PredictionError(f"{path}: video_preds must be a float array [videos, classes]")
    if not isinstance(labels, np.ndarray) or labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
        raise PredictionError(f"{path}: video_labels must be an int array of {logits.shape[0]} labels")
    valid = np.asarray(raw.get("video_valid", np.ones(len(labels), dtype=bool)))
    if valid.shape != labels.shape or valid.dtype != bool:
        raise PredictionError(f"{path}: video_valid must be a bool array of {len(labels)} flags")
    if num_classes is not None and logits.shape[1] != num_classes:
        raise PredictionError(f"{path}: {logits.shape[1]} classes, expected {num_classes}")
    bad = np.flatnonzero(~np.isfinite(logits).all(axis=1))
    if bad.size:
        raise PredictionError(f"{path}: NaN or infinite logits in {bad.size} videos, first at row {bad[0]}")
    return logits.astype(np.float32), labels.astype(np.int64), valid


def read_predictions(path: str | Path, *, split: SplitList | None = None,
                     num_classes: int | None = None) -> PredictionTable:
    """Load and check one prediction file (.pkl or .npz).

    Args:
        path: the file.
        split: the split it was made from; gives the ids of an older file that has none (with a
            `LegacyPredictionWarning`), and must then have one row per video and agree on known labels.
        num_classes: the class count the logits must have, if known.

    Raises:
        PredictionError: naming the file and what is wrong with it.
    """
    path = Path(path)
    raw = _read_raw(path)
    logits, labels, valid = _arrays(raw, path, num_classes)
    meta = PredictionMeta.from_dict(raw.get("meta", {}), str(path))
    if "video_ids" in raw:
        ids = tuple(str(i) for i in raw["video_ids"])
    else:
        ids = _ids_by_row_order(path, labels, split)
    return PredictionTable(ids, logits, labels, valid, meta, str(path))


def _ids_by_row_order(path: Path, labels: np.ndarray, split: SplitList | None) -> tuple[str, ...]:
    if split is None:
        raise PredictionError(f"{path}: an older prediction file without video ids; "
                              "give the split CSV it was made from")
    if len(labels) != len(split.paths):
        raise PredictionError(f"{path} has {len(labels)} videos but {split.path} has {len(split.paths)} rows")
    differ = np.flatnonzero((labels >= 0) & (split.labels >= 0) & (labels != split.labels))
    if differ.size:
        row = differ[0]
        raise PredictionError(f"{path} row {row} has label {labels[row]} but {split.path} row {row + 1} "
                              f"({split.paths[row]}) has {split.labels[row]}")
    warnings.warn(f"{path}: no video ids (an older prediction file); its rows are taken to be {split.path}'s, "
                  "in order", LegacyPredictionWarning, stacklevel=3)
    return tuple(split.paths)


def align(table: PredictionTable, ids: Sequence[str], reference: str) -> PredictionTable:
    """The table's rows in the order of `ids`.

    Raises:
        PredictionError: unless the table covers exactly the videos of `ids`, naming the first that differ.
    """
    index = {vid: row for row, vid in enumerate(table.ids)}
    missing = [vid for vid in ids if vid not in index]
    extra = sorted(set(table.ids) - set(ids)) if len(table.ids) != len(ids) - len(missing) else []
    if missing or extra:
        raise PredictionError(
            f"{table.source} and {reference} cover different videos: {len(missing)} only in {reference} "
            f"(first {missing[:_SHOWN]}), {len(extra)} only in {table.source} (first {extra[:_SHOWN]})")
    return table.take(np.array([index[vid] for vid in ids], dtype=np.int64))


def join(tables: Mapping[str, PredictionTable], ids: Sequence[str] | None = None,
         reference: str | None = None) -> dict[str, PredictionTable]:
    """Align several tables by id: to `ids` (named `reference`), or to the first table's order.

    Raises:
        PredictionError: tables that do not cover the same videos, or disagree on a known label,
            naming the files and the first differing videos.
    """
    if not tables:
        raise PredictionError("no prediction files given")
    first = next(iter(tables.values()))
    order = tuple(first.ids if ids is None else ids)
    reference = reference or first.source
    joined = {name: align(table, order, reference) for name, table in tables.items()}
    base = joined[next(iter(joined))]
    for table in joined.values():
        differ = np.flatnonzero((base.labels >= 0) & (table.labels >= 0) & (base.labels != table.labels))
        if differ.size:
            vid = order[differ[0]]
            raise PredictionError(f"{base.source} and {table.source} disagree on the label of {vid!r}: "
                                  f"{base.labels[differ[0]]} and {table.labels[differ[0]]}")
    return joined


def default_class_names(num_classes: int | None = None) -> tuple[str, ...]:
    """DATA.CLASS_NAMES of the config defaults; `0..num_classes-1` as text when the count differs."""
    from darkvid.config import get_cfg

    names = tuple(get_cfg().DATA.CLASS_NAMES)
    return names if num_classes in (None, len(names)) else tuple(str(c) for c in range(num_classes))


def class_names(tables: Sequence[PredictionTable], num_classes: int) -> tuple[str, ...]:
    """The class names the files carry (they must agree), else `default_class_names`.

    Raises:
        PredictionError: two files that name the classes differently.
    """
    named = [t for t in tables if t.meta.class_names]
    for table in named[1:]:
        if table.meta.class_names != named[0].meta.class_names:
            raise PredictionError(f"{named[0].source} and {table.source} name the classes differently: "
                                  f"{list(named[0].meta.class_names)} and {list(table.meta.class_names)}")
    return named[0].meta.class_names if named else default_class_names(num_classes)
