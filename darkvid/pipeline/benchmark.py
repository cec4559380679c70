"""Benchmark definitions (configs/benchmark/*.yaml): the generator settings the method is run on.

A benchmark file names a pipeline preset and a list of sets, each a synthetic dataset made with one
generator seed, exposure range and read noise; every set belongs to a group, "tune" (settings were
chosen on it) or "eval" (never looked at while choosing), so the two are averaged apart. A
"variant" names a change to the method (its `extra` flags, e.g. `--override KEY VALUE`): its sets are
averaged apart from the method as configured. Each set runs as one `tools/run_pipeline.py` into
WORK_ROOT/<name>/, which resumes as the pipeline does.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .presets import REPO

GROUPS = ("tune", "eval")  # tune: settings were chosen on it; eval: held out from every choice
_FILE_KEYS = {"preset", "group", "variant", "extra", "sets"}
_SET_KEYS = {"name", "group", "variant", "data_seed", "exposure", "noise", "extra"}


class BenchmarkError(ValueError):
    """A benchmark file that cannot be used; the message names the file, the set and the key."""


@dataclass(frozen=True)
class BenchSet:
    """One generator setting the method is run on."""

    name: str  # folder under WORK_ROOT and the table's row
    group: str  # one of GROUPS
    data_seed: int  # tools/run_pipeline.py --data-seed
    exposure: tuple[float, float] | None = None  # --exposure LOW HIGH (None: the generator preset's)
    noise: float | None = None  # --noise (None: the generator preset's)
    extra: tuple[str, ...] = ()  # further tools/run_pipeline.py flags, after the file's own
    preset: str = "demo"  # pipeline preset
    variant: str = ""  # a change to the method these sets measure (e.g. noise_aug); "" the method as configured


def _check_keys(where: str, data: Any, allowed: set[str]) -> dict:
    if not isinstance(data, dict):
        raise BenchmarkError(f"{where}: expected a mapping, found {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BenchmarkError(f"{where}: unknown key(s) {unknown}; allowed {sorted(allowed)}")
    return data


def _extra(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise BenchmarkError(f"{where}: 'extra' must be a list of command-line words")
    return tuple(str(v) for v in value)


def _set(path: Path, index: int, data: Any, defaults: dict) -> BenchSet:
    where = f"{path}: sets[{index}]"
    data = _check_keys(where, data, _SET_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise BenchmarkError(f"{where}: 'name' must be a folder name, found {name!r}")
    where = f"{path}: set {name!r}"
    group = data.get("group", defaults.get("group"))
    if group not in GROUPS:
        raise BenchmarkError(f"{where}: 'group' must be one of {GROUPS} (here or at the file's top), found {group!r}")
    if not isinstance(data.get("data_seed"), int):
        raise BenchmarkError(f"{where}: 'data_seed' must be an integer")
    exposure = data.get("exposure")
    if exposure is not None:
        if not isinstance(exposure, list) or len(exposure) != 2 or not 0 < exposure[0] <= exposure[1] <= 1:
            raise BenchmarkError(f"{where}: 'exposure' must be [LOW, HIGH] with 0 < LOW <= HIGH <= 1, found {exposure}")
        exposure = (float(exposure[0]), float(exposure[1]))
    noise = data.get("noise")
    if noise is not None and (not isinstance(noise, (int, float)) or noise < 0):
        raise BenchmarkError(f"{where}: 'noise' must be a number >= 0, found {noise!r}")
    variant = data.get("variant", defaults.get("variant", ""))
    if not isinstance(variant, str) or not re.fullmatch(r"[A-Za-z0-9_.+-]*", variant):
        raise BenchmarkError(f"{where}: 'variant' must be a short name (letters, digits, _ . + -), found {variant!r}")
    return BenchSet(name, group, data["data_seed"], exposure, None if noise is None else float(noise),
                    _extra(where, defaults.get("extra")) + _extra(where, data.get("extra")),
                    str(defaults.get("preset", "demo")), variant)


def load_benchmark(path: str | Path) -> list[BenchSet]:
    """The sets of one benchmark file, checked (unknown keys, groups, ranges, repeated names)."""
    path = Path(path)
    if not path.is_file():
        candidate = REPO / "configs" / "benchmark" / path.with_suffix(".yaml").name
        if not candidate.is_file():
            raise BenchmarkError(f"benchmark file not found: {path}")
        path = candidate
    data = _check_keys(str(path), yaml.safe_load(path.read_text()), _FILE_KEYS)
    sets = data.get("sets")
    if not isinstance(sets, list) or not sets:
        raise BenchmarkError(f"{path}: 'sets' must be a non-empty list")
    out = [_set(path, i, item, data) for i, item in enumerate(sets)]
    return check_unique(out, str(path))


def check_unique(sets: list[BenchSet], where: str) -> list[BenchSet]:
    """The sets, unless two share a name (they would share a work directory)."""
    seen: set[str] = set()
    for bench in sets:
        if bench.name in seen:
            raise BenchmarkError(f"{where}: set name {bench.name!r} appears twice (names are work directories)")
        seen.add(bench.name)
    return sets


def pipeline_command(bench: BenchSet, work_root: Path, python: str = sys.executable) -> list[str]:
    """The tools/run_pipeline.py command line of one set, into WORK_ROOT/<name>/."""
    cmd = [python, str(REPO / "tools" / "run_pipeline.py"), "--preset", bench.preset,
           "--work-dir", str(work_root / bench.name), "--data-seed", str(bench.data_seed)]
    if bench.exposure is not None:
        cmd += ["--exposure", *(repr(v) for v in bench.exposure)]
    if bench.noise is not None:
        cmd += ["--noise", repr(bench.noise)]
    return cmd + list(bench.extra)
