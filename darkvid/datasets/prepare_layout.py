"""Write the DATASET.md layout: symbolic links to the download's videos and the split CSVs.

Everything is planned first and checked for conflicts; only a plan without conflicts is written,
so a refused run leaves the output as it was. Reruns find every link and CSV in place and change
nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

from darkvid.ensemble.io import atomic_write_text


@dataclass
class LayoutPlan:
    """Links (path under the output -> absolute video path) and CSVs (file name -> text)."""

    links: Dict[str, Path] = field(default_factory=dict)
    csvs: Dict[str, str] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)

    def link(self, relative: str, target: Path) -> None:
        """Plan one link; two different targets for one path is a problem."""
        known = self.links.get(relative)
        if known is not None and known != target:
            self.problems.append(f"{relative}: two videos want this path: {known} and {target}")
            return
        self.links[relative] = target


@dataclass
class WriteResult:
    """What a write did: counts of links and CSVs made, left as they were, and refusals."""

    made: int = 0
    kept: int = 0
    csv_written: List[str] = field(default_factory=list)
    csv_kept: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)


def csv_text(rows: Sequence[tuple]) -> str:
    """`path,label` lines, no header, as darkvid's readers expect."""
    return "".join(f"{path},{label}\n" for path, label in rows)


def inside(path: Path, folders: Sequence[Path]) -> bool:
    """Whether `path` (resolved) lies in one of `folders` (resolved)."""
    resolved = path.resolve()
    return any(resolved == f or f in resolved.parents for f in folders)


def check_plan(plan: LayoutPlan, output: Path, inputs: Sequence[Path], force: bool) -> List[str]:
    """Conflicts that writing `plan` would hit; an empty list means it can be written as is."""
    inputs = [p.resolve() for p in inputs]
    problems = []
    for folder in sorted({(output / rel).parent for rel in plan.links}):
        if inside(folder, inputs):
            problems.append(f"{folder} resolves into the download ({folder.resolve()}): darkvid never writes "
                            f"there; remove that link or choose another --output")
    clashes = [rel for rel, target in plan.links.items() if _clash(output / rel, target, force)]
    if clashes:
        problems.append(f"{len(clashes)} paths under {output} exist and are not links to the download's videos "
                        f"(remove them, or --force to replace links): {', '.join(clashes[:5])}")
    for name, text in plan.csvs.items():
        path = output / name
        if path.is_file() and path.read_text() != text and not force:
            problems.append(f"{path} exists and differs from the list built now: --force replaces it")
    return problems


def _clash(path: Path, target: Path, force: bool) -> bool:
    if not os.path.lexists(path):
        return False
    if path.is_symlink():
        return Path(os.readlink(path)) != target and not force
    return True


def write_plan(plan: LayoutPlan, output: Path) -> WriteResult:
    """Make the planned links and CSVs that are not already in place (call after `check_plan`)."""
    result = WriteResult()
    for rel, target in sorted(plan.links.items()):
        path = output / rel
        if path.is_symlink() and Path(os.readlink(path)) == target:
            result.kept += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.link")
        if os.path.lexists(tmp):
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, path)  # swaps an old link for the new one in one step
        result.made += 1
    for name, text in plan.csvs.items():
        path = output / name
        if path.is_file() and path.read_text() == text:
            result.csv_kept.append(name)
            continue
        atomic_write_text(path, text)
        result.csv_written.append(name)
    return result
