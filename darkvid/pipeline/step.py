"""A pipeline step: commands to run in the work directory, the files they read and write.

A step is complete when its marker (written only after every output exists) holds the same
fingerprint as now: the commands, the content of its config files and the size and mtime of
its input files. Anything else (no marker, a stale one, a missing output) means run it again.
An imported step (darkvid/pipeline/artefacts.py) is complete while its imported files are unchanged.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional


@dataclass(frozen=True)
class Command:
    """One subprocess: argv, run in the work directory with `env` added to the environment."""

    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    def shell_text(self) -> str:
        """The command as a user would type it in the work directory."""
        env = " ".join(f"{k}={v}" for k, v in self.env)
        return (env + " " if env else "") + " ".join(_quote(a) for a in self.argv)


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_./=:+,[]" for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class Step:
    """One node of the step graph; paths are relative to the work directory."""

    name: str
    commands: tuple[Command, ...]
    outputs: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    clean: tuple[str, ...] = ()  # removed before a rerun of a step that had completed
    note: str = ""  # shown when outputs are missing after the commands ran (what to do about it)
    nonempty: tuple[str, ...] = ()  # outputs that also count as missing when empty
    stats: str = ""  # the stats.jsonl of the training it runs, followed by the progress bars


def _file_id(work: Path, rel: str) -> list[Any]:
    """The input as the fingerprint sees it: named relative to the work directory, so a moved or
    copied work directory keeps its completed steps."""
    path = work / rel
    if not path.exists():
        return [rel, None]
    stat = path.stat()
    return [rel, stat.st_size, stat.st_mtime_ns]


def fingerprint(step: Step, work: Path) -> str:
    """Hash of the step's commands, its configs' content and its inputs' sizes and mtimes."""
    configs = []
    for rel in step.configs:
        path = work / rel if not Path(rel).is_absolute() else Path(rel)
        configs.append([rel, hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None])
    payload = {
        "commands": [[list(c.argv), list(c.env)] for c in step.commands],
        "configs": configs,
        "inputs": [_file_id(work, rel) for rel in step.inputs],
        "outputs": list(step.outputs),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def marker_path(work: Path, name: str) -> Path:
    """Where the completion marker of step `name` lives."""
    return work / ".markers" / f"{name}.json"


def read_marker(work: Path, name: str) -> Optional[dict[str, Any]]:
    """The marker's content, or None when absent or unreadable (an interrupted write)."""
    path = marker_path(work, name)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def missing_outputs(step: Step, work: Path) -> list[str]:
    """The step's outputs that do not exist (or are empty where they must not be)."""
    return [rel for rel in step.outputs
            if not (work / rel).exists() or (rel in step.nonempty and (work / rel).stat().st_size == 0)]


def _imports_intact(marker: dict[str, Any], work: Path) -> bool:
    """Every file an imported marker records is still in `work` as imported (same size and mtime)."""
    for entry in marker["imported"]:
        path = work / entry["path"]
        if not path.exists() or [path.stat().st_size, path.stat().st_mtime_ns] != [entry["size"], entry["mtime_ns"]]:
            return False
    return True


def is_imported(step: Step, work: Path) -> bool:
    """True when the step's outputs were given (run_pipeline.py --artefacts) and are still there."""
    marker = read_marker(work, step.name)
    return marker is not None and "imported" in marker and _imports_intact(marker, work)


def is_complete(step: Step, work: Path) -> bool:
    """True when the marker matches the current fingerprint and every output exists, or the step was imported."""
    marker = read_marker(work, step.name)
    if marker is not None and "imported" in marker:
        return _imports_intact(marker, work)
    return (marker is not None and marker.get("fingerprint") == fingerprint(step, work)
            and not missing_outputs(step, work))


def state(step: Step, work: Path) -> str:
    """The step as --list shows it: imported, complete or to run."""
    if is_imported(step, work):
        return "imported"
    return "complete" if is_complete(step, work) else "to run"


def write_marker(step: Step, work: Path, seconds: float) -> None:
    """Record completion (atomically) after checking that every output exists."""
    missing = missing_outputs(step, work)
    if missing:
        raise FileNotFoundError(f"step {step.name}: outputs missing after it ran: {', '.join(missing)}")
    path = marker_path(work, step.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"step": step.name, "fingerprint": fingerprint(step, work), "seconds": round(seconds, 2),
              "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "outputs": list(step.outputs),
              "commands": [c.shell_text() for c in step.commands]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, path)


def invalidate(step: Step, work: Path) -> None:
    """Forget a step's completion and remove its `clean` paths, so it reruns from scratch.

    Training outputs must go too: run_net's auto-resume would otherwise find the old run's last
    checkpoint and skip the training the new inputs ask for.
    """
    marker_path(work, step.name).unlink(missing_ok=True)
    for rel in step.clean:
        path = work / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
