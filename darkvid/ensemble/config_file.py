"""Read the ensemble tools' YAML/JSON configs: a mapping whose unknown keys are errors naming the file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from .combine import EnsembleConfigError


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Load a YAML (or JSON, by suffix) file whose top level is a mapping."""
    path = Path(path)
    if not path.is_file():
        raise EnsembleConfigError(f"config file not found: {path}")
    try:
        data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise EnsembleConfigError(f"{path}: cannot parse: {err}") from err
    if not isinstance(data, dict):
        raise EnsembleConfigError(f"{path}: the top level must be a mapping")
    return data


def check_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str, required: Sequence[str] = ()) -> None:
    """Raise naming `where` when `data` has a key outside `allowed` or lacks one of `required`."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise EnsembleConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = [key for key in required if key not in data]
    if missing:
        raise EnsembleConfigError(f"{where}: missing required key(s) {missing}")


def resolve(base: Path, value: str | Path) -> Path:
    """`value` as given when absolute, else relative to `base`."""
    path = Path(value)
    return path if path.is_absolute() else base / path


def temperatures(data: Any, names: Sequence[str], where: str) -> dict[str, float]:
    """Per-model softmax temperatures from one number or a `{model: T}` mapping (missing models: 1)."""
    if data is None:
        return {name: 1.0 for name in names}
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return {name: float(data) for name in names}
    if not isinstance(data, Mapping):
        raise EnsembleConfigError(f"{where}: expected a number or a mapping of model to temperature")
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise EnsembleConfigError(f"{where}: unknown model(s) {unknown}")
    return {name: float(data.get(name, 1.0)) for name in names}
