"""`run_pipeline.py --artefacts DIR`: published checkpoints and pseudo labels stand in for the steps that make them.

A folder laid out like the repository (or a work directory) holds a step's outputs at the paths the
step writes them: `exp_pseudo_stage2/<model>/best.pyth`, `pseudo/stage3.csv` (the seed's
`data/pseudo/stage3.csv` too). A step whose first output (the checkpoint, the CSV) is there is
imported: its files found there are linked into the work directory, never copied or written, and
its marker records each file's source and sha256 instead of a fingerprint, so the step counts as
done and `--list` says "imported". Later steps read the links as they read a step's own outputs.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from darkvid.ensemble.io import atomic_write_text
from darkvid.utils.files import file_sha256

from .data_root import DATA, PSEUDO_DIR
from .step import Step, marker_path, read_marker


class ArtefactError(ValueError):
    """An artefacts folder the pipeline cannot import from; the message names the file."""


@dataclass(frozen=True)
class Import:
    """The files of one step found in the artefacts folders: (work-dir path, source file)."""

    step: str
    files: tuple[tuple[str, Path], ...]


def _candidates(folder: Path, rel: str) -> list[Path]:
    """Where `rel` may sit in `folder`: the same path, and pseudo labels also under data/ (the seed's layout)."""
    found = [folder / rel]
    if rel.startswith(PSEUDO_DIR + "/"):
        found.append(folder / DATA / rel)
    return [path for path in found if path.is_file()]


def find_imports(steps: list[Step], folders: list[Path]) -> dict[str, Import]:
    """The steps whose first output one of `folders` holds, with every output of theirs found there.

    Raises:
        ArtefactError: a folder is missing, or two files stand for the same output.
    """
    for folder in folders:
        if not folder.is_dir():
            raise ArtefactError(f"--artefacts {folder}: not a folder")
    imports = {}
    for step in steps:
        if step.name == DATA or not step.outputs:
            continue  # the dataset comes from --data-root
        files = []
        for rel in step.outputs:
            found = [path.resolve() for folder in folders for path in _candidates(folder, rel)]
            if len(set(found)) > 1:
                raise ArtefactError(f"{rel} of step {step.name} is given twice: {found[0]} and {found[1]}")
            files += [(rel, found[0])] if found else []
        if files and files[0][0] == step.outputs[0]:
            imports[step.name] = Import(step.name, tuple(files))
    return imports


def _link(work: Path, rel: str, source: Path) -> None:
    """WORK/rel becomes a link to `source`; a regular file there (made by a run) is never replaced."""
    target = work / rel
    if target.is_symlink():
        if target.resolve() == source:
            return
        target.unlink()
    elif target.exists():
        raise ArtefactError(f"{target} exists and was made in the work directory, not imported: remove it "
                            f"(or drop the artefact {source})")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)


def _record(rel: str, source: Path, before: dict) -> dict:
    """A marker entry for one imported file; the sha256 is reused while the source is unchanged."""
    stat = source.stat()
    entry = {"path": rel, "source": str(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    old = before.get(rel, {})
    same = all(old.get(k) == entry[k] for k in ("source", "size", "mtime_ns"))
    entry["sha256"] = old["sha256"] if same and "sha256" in old else file_sha256(source)
    return entry


def place(imports: dict[str, Import], work: Path) -> None:
    """Link every imported file into `work` and mark its step imported (the folders are only read)."""
    for item in imports.values():
        for rel, source in item.files:
            _link(work, rel, source)
        marker = read_marker(work, item.step) or {}
        before = {e["path"]: e for e in marker.get("imported", []) if isinstance(e, dict) and "path" in e}
        record = {"step": item.step, "imported": [_record(rel, source, before) for rel, source in item.files],
                  "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_write_text(marker_path(work, item.step), json.dumps(record, indent=2) + "\n")
