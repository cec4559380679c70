"""Checks of a challenge download: each returns readable problems (empty when all is well).

A problem names the list or folder at fault, how many entries are affected and the first few.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set

from .prepare_sources import UNLABELLED, ListRow, Source

SHOWN = 5  # names quoted in a problem before "..."


def first_names(names: Sequence[str], shown: int = SHOWN) -> str:
    """`a, b, c, ...`: the first names of a list, for messages."""
    names = list(names)
    return ", ".join(names[:shown]) + (", ..." if len(names) > shown else "")


def check_classes(table: Sequence[str], expected: Sequence[str], where: str) -> List[str]:
    """The mapping table must give DATA.CLASS_NAMES, in the same order (labels are positions)."""
    if list(table) == list(expected):
        return []
    if sorted(table) == sorted(expected):
        return [f"{where}: the classes are in another order than DATA.CLASS_NAMES: {list(table)} "
                f"instead of {list(expected)}; labels would mean other classes"]
    return [f"{where}: classes {list(table)} differ from DATA.CLASS_NAMES {list(expected)} "
            f"(missing {sorted(set(expected) - set(table))}, unknown {sorted(set(table) - set(expected))})"]


def check_duplicates(source: Source) -> List[str]:
    """Videos listed more than once in one source."""
    counts = Counter(r.name for r in source.rows)
    dups = [name for name, n in counts.items() if n > 1]
    if not dups:
        return []
    return [f"{source.key}: {len(dups)} videos listed more than once in {source.origin}: {first_names(dups)}"]


def check_missing(source: Source) -> List[str]:
    """Listed videos that are not files in the source's folder (one stat each)."""
    missing = [r.name for r in source.rows if not os.path.isfile(source.folder / r.name)]
    if not missing:
        return []
    return [f"{source.key}: {len(missing)} of {len(source.rows)} videos listed in {source.origin} are missing "
            f"from {source.folder}: {first_names(missing)}"]


def check_extras(folder: Path, listed: Set[str], extensions: Iterable[str], what: str) -> List[str]:
    """Video files directly in `folder` that no list names."""
    suffixes = {e.lower() for e in extensions}
    if not folder.is_dir():
        return []
    extra = sorted(e.name for e in os.scandir(folder)
                   if e.is_file() and Path(e.name).suffix.lower() in suffixes and e.name not in listed)
    if not extra:
        return []
    return [f"{what}: {len(extra)} videos in {folder} are named by no list: {first_names(extra)}"]


def check_labels(source: Source, needs_labels: bool) -> List[str]:
    """Labelled sources must label every row; ARID rows get -1 from folders that are no class."""
    unlabelled = [r.name for r in source.rows if r.label == UNLABELLED]
    if not needs_labels or not unlabelled:
        return []
    return [f"{source.key}: {len(unlabelled)} rows of {source.origin} have no class: {first_names(unlabelled)}"]


def check_counts(rows_by_csv: Dict[str, int], expected: Dict[str, int]) -> List[str]:
    """Rows per written CSV against the known counts."""
    return [f"{name}: {rows} rows, expected {expected[name]}"
            for name, rows in rows_by_csv.items() if name in expected and rows != expected[name]]


def compare_with_seed(name: str, ours: Sequence[tuple], seed: Sequence[tuple]) -> List[str]:
    """Rows (path, label) of a CSV we build that differ from the seed's list of the same name."""
    ours_set, seed_set = set(ours), set(seed)
    if ours_set == seed_set:
        return []
    only_ours = [f"{p},{label}" for p, label in ours if (p, label) not in seed_set]
    only_seed = [f"{p},{label}" for p, label in seed if (p, label) not in ours_set]
    return [f"{name}: differs from the seed's list: {len(only_ours)} rows only here ({first_names(only_ours)}), "
            f"{len(only_seed)} only in the seed's ({first_names(only_seed)})"]


def label_from_seed(rows: List[ListRow], seed: Sequence[tuple]) -> List[ListRow]:
    """Unlabelled rows take the label the seed's list gives the same path (the public dry-run list has none)."""
    labels = dict(seed)
    return [ListRow(r.name, labels.get(r.name, UNLABELLED), r.where) if r.label == UNLABELLED else r for r in rows]


def check_numbering(source: Source) -> List[str]:
    """A folder read without a list (`N.mp4`) must hold every number from 0 to its largest."""
    numbers = {int(Path(r.name).stem) for r in source.rows}
    suffix = Path(source.rows[0].name).suffix if source.rows else ""
    gaps = [f"{n}{suffix}" for n in range(max(numbers, default=-1) + 1) if n not in numbers]
    if not gaps:
        return []
    return [f"{source.key}: {len(gaps)} numbers missing from {source.folder} (no list names its videos): "
            f"{first_names(gaps)}"]
