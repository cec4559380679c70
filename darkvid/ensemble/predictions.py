"""Several models' prediction files over one split, joined by video id to the split CSV.

Reading and checking one file is `darkvid.predictions`; the split CSV is `darkvid.datasets.records`.
Here both are put together for the pseudo labels, the vote, scoring and the threshold explorer:
every file must cover exactly the CSV's videos (in any order) and agree with its known labels.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from darkvid.datasets.records import SplitFileError, SplitList, read_split_list
from darkvid.predictions import PredictionError, PredictionTable, join, read_predictions

__all__ = ["PredictionError", "all_valid", "load_joined", "load_split"]


def load_split(path: str | Path, num_classes: int, with_probs: bool = False) -> SplitList:
    """A split (or pseudo-label) CSV; a bad file is a PredictionError naming its line."""
    try:
        return read_split_list(path, num_classes=num_classes, with_probs=with_probs)
    except SplitFileError as err:
        raise PredictionError(str(err)) from err


def load_joined(paths: Mapping[str, str | Path], split_csv: str | Path,
                num_classes: int) -> tuple[SplitList, dict[str, PredictionTable]]:
    """Read every named file and return them aligned to the CSV's row order.

    Files without ids take the CSV's, by row order (with a warning).

    Raises:
        PredictionError: a missing file (all named), a bad file, a file whose videos are not the
            CSV's (naming the first differing ids) or whose known labels contradict it.
    """
    missing = [str(path) for path in paths.values() if not Path(path).is_file()]
    if missing:
        raise PredictionError(f"prediction files not found: {', '.join(missing)}")
    split = load_split(split_csv, num_classes)
    tables = {name: read_predictions(path, split=split, num_classes=num_classes) for name, path in paths.items()}
    joined = join(tables, split.paths, str(split.path))
    for table in joined.values():
        differ = np.flatnonzero((table.labels >= 0) & (split.labels >= 0) & (table.labels != split.labels))
        if differ.size:
            row = int(differ[0])
            raise PredictionError(f"{table.source} has label {table.labels[row]} for {split.paths[row]!r} "
                                  f"but {split.path} row {row + 1} has {split.labels[row]}")
    return split, joined


def all_valid(tables: Mapping[str, PredictionTable]) -> np.ndarray:
    """Per video: True where every model could decode all its clips."""
    return np.logical_and.reduce([table.valid for table in tables.values()])
