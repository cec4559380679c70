"""Read the challenge download as distributed: the mapping table, the organisers' lists, ARID v1.5.

Nothing here writes; every error names the file and line it comes from.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

UNLABELLED = -1


class PrepareError(ValueError):
    """The download cannot be read as configured; the message names the file, line or key."""


@dataclass(frozen=True)
class ListRow:
    """One video of a source: its path relative to the source folder and its label (-1: none)."""

    name: str
    label: int
    where: str


@dataclass
class Source:
    """A list of videos and the download folder that holds them."""

    key: str
    folder: Path
    rows: List[ListRow]
    origin: str


def natural_key(text: str) -> list:
    """Sort key that orders embedded numbers by value (2.mp4 before 10.mp4)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def find_unique(root: Path, name: str, *, directory: bool = False) -> Path:
    """The one file (or folder) called `name` under `root` (itself included)."""
    candidates = [root] if root.name == name else []
    candidates += [p for p in root.rglob(name) if p.is_dir() == directory]
    if not candidates:
        raise PrepareError(f"{name!r} not found under {root}")
    if len(candidates) > 1:
        shown = ", ".join(str(p) for p in candidates[:3])
        raise PrepareError(f"{name!r} found {len(candidates)} times under {root} ({shown}): keep one")
    return candidates[0]


def read_mapping_table(path: Path) -> List[str]:
    """Class names in label order from `index<TAB>Name` lines; indexes must run 0, 1, 2, ..."""
    names: List[str] = []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            raise PrepareError(f"{path}:{line_no}: expected 'index<TAB>Name', got {line!r}")
        if int(parts[0]) != len(names):
            raise PrepareError(f"{path}:{line_no}: index {parts[0]} where {len(names)} was expected")
        names.append(parts[1].strip())
    if not names:
        raise PrepareError(f"{path}: no classes")
    return names


def read_organiser_list(path: Path, num_classes: int) -> List[ListRow]:
    """Rows of a `VideoID,Video[,ClassID]` list; a list without ClassID gives label -1."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        if "Video" not in header:
            raise PrepareError(f"{path}:1: header {header} has no 'Video' column (expected VideoID,Video,ClassID)")
        reader.fieldnames = header
        rows = []
        for line_no, row in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            name = (row.get("Video") or "").strip()
            if not name:
                raise PrepareError(f"{where}: empty Video field")
            rows.append(ListRow(name, _label(row.get("ClassID"), where, num_classes), where))
    return rows


def _label(text: Optional[str], where: str, num_classes: int) -> int:
    if text is None or not text.strip():
        return UNLABELLED
    try:
        label = int(text)
    except ValueError:
        raise PrepareError(f"{where}: ClassID {text!r} is not an integer") from None
    if not 0 <= label < num_classes:
        raise PrepareError(f"{where}: ClassID {label} is outside [0, {num_classes})")
    return label


def numbered_videos(folder: Path, extension: str = ".mp4") -> List[ListRow]:
    """Every `N<extension>` of `folder`, by number: the test set when no list names it."""
    if not folder.is_dir():
        raise PrepareError(f"video folder not found: {folder}")
    names = [e.name for e in os.scandir(folder) if e.name.endswith(extension) and e.name[: -len(extension)].isdigit()]
    return [ListRow(n, UNLABELLED, f"{folder}/{n}") for n in sorted(names, key=natural_key)]


def locate_folder(root: Path, configured: str, rows: Sequence[ListRow]) -> Path:
    """The folder of a list's videos: `root/configured`, else the one folder under `root` holding them.

    The search looks for the first few listed names, so a download unpacked one level deeper (or
    under other folder names) still resolves; several candidates are an error naming them.
    """
    preferred = root / configured
    probe = [r.name for r in rows[:5]]
    if preferred.is_dir() or not probe:
        return preferred
    holders = sorted({p.parent for p in root.rglob(Path(probe[0]).name)})
    holders = [h for h in holders if all((h / n).exists() for n in probe)]
    if len(holders) == 1:
        return holders[0]
    if not holders:
        raise PrepareError(f"no folder under {root} holds {probe[0]!r} (looked for {configured!r} first)")
    raise PrepareError(f"{len(holders)} folders under {root} hold {probe[0]!r}: {', '.join(map(str, holders))}; "
                       f"unpack the archives as DATASET.md says or set the folder in the data config")


def scan_arid(clips: Path, class_names: Sequence[str], extensions: Sequence[str]) -> List[ListRow]:
    """ARID rows `Class/Class_A_B.mp4` labelled by folder, classes in label order.

    Folders that are not a class name get label -1, so the checks report them.
    """
    index = {name: i for i, name in enumerate(class_names)}
    folders = sorted((d for d in clips.iterdir() if d.is_dir()), key=lambda d: (index.get(d.name, len(index)), d.name))
    rows = []
    for folder in folders:
        files = sorted((f.name for f in folder.iterdir() if f.suffix.lower() in extensions), key=natural_key)
        label = index.get(folder.name, UNLABELLED)
        rows += [ListRow(f"{folder.name}/{name}", label, f"{folder}/{name}") for name in files]
    return rows


def order_like(rows: List[ListRow], reference: Sequence[str]) -> List[ListRow]:
    """`rows` in the order of `reference` names; rows it does not name keep their order at the end."""
    rank: Dict[str, int] = {name: i for i, name in enumerate(reference)}
    return sorted(rows, key=lambda r: rank.get(r.name, len(rank)))


def read_seed_list(path: Path) -> List[tuple]:
    """(path, label) rows of one of the seed's headerless `path,label` lists."""
    rows = []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip():
            parts = line.strip().split(",")
            if len(parts) < 2 or not parts[1].lstrip("-").isdigit():
                raise PrepareError(f"{path}:{line_no}: expected 'path,label', got {line!r}")
            rows.append((parts[0], int(parts[1])))
    return rows
