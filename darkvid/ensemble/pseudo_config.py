"""The pseudo-label generator's config: keys, defaults and where relative paths point.

Relative paths: `root` (the experiment root, default `.`) is relative to the current directory;
prediction files are relative to `root`; `data_root` (default `data`) is relative to `root`; split
CSVs, the labels CSV and the outputs are relative to `data_root`. Absolute paths stay as given.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .combine import EnsembleConfigError, WeightSpec, parse_weight_spec
from .config_file import check_keys, read_mapping, resolve, temperatures

_TOP_KEYS = ("num_classes", "root", "data_root", "split_csv", "predictions", "temperature", "weights",
             "thresholds", "auto", "labels_csv", "out", "summary")
_AUTO_KEYS = ("val_predictions", "val_csv", "target_precision", "relax_per_stage", "stage",
              "search_weights", "search_step", "min_selected")


@dataclass(frozen=True)
class AutoSettings:
    """How thresholds (and optionally weights) are chosen on labelled validation predictions."""

    val_predictions: dict[str, Path]
    val_csv: Path
    target_precision: float = 0.95
    relax_per_stage: float = 0.0
    stage: int = 1
    search_weights: bool = False
    search_step: float = 0.1
    min_selected: int = 0  # floor: keep at least this many of the pool, the most confident first


@dataclass(frozen=True)
class PseudoConfig:
    """Everything one pseudo-label run needs, paths resolved."""

    source: Path
    num_classes: int
    split_csv: Path
    predictions: dict[str, Path]
    temperatures: dict[str, float]
    weights: WeightSpec
    thresholds: Any
    auto: Optional[AutoSettings]
    labels_csv: Optional[Path]
    out: Path
    summary: Path


def _auto(data: Any, root: Path, data_root: Path, where: str) -> AutoSettings:
    if not isinstance(data, dict):
        raise EnsembleConfigError(f"{where}: 'thresholds: auto' needs an 'auto' mapping")
    check_keys(data, _AUTO_KEYS, where, required=("val_predictions", "val_csv"))
    return AutoSettings(
        val_predictions={name: resolve(root, p) for name, p in data["val_predictions"].items()},
        val_csv=resolve(data_root, data["val_csv"]),
        target_precision=float(data.get("target_precision", 0.95)),
        relax_per_stage=float(data.get("relax_per_stage", 0.0)),
        stage=int(data.get("stage", 1)),
        search_weights=bool(data.get("search_weights", False)),
        search_step=float(data.get("search_step", 0.1)),
        min_selected=_count(data.get("min_selected", 0), f"{where}.min_selected"),
    )


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EnsembleConfigError(f"{where}: expected an integer >= 0, got {value!r}")
    return value


def load_pseudo_config(path: str | Path, *, root: Optional[str] = None, data_root: Optional[str] = None,
                       out: Optional[str] = None) -> PseudoConfig:
    """Read a pseudo-label config; `root`, `data_root`, `out` given here override the file's values."""
    path = Path(path)
    data = read_mapping(path)
    check_keys(data, _TOP_KEYS, str(path), required=("split_csv", "predictions", "weights", "thresholds"))
    root_dir = Path(root if root is not None else data.get("root", "."))
    data_dir = Path(data_root) if data_root is not None else resolve(root_dir, data.get("data_root", "data"))
    if not isinstance(data["predictions"], dict) or not data["predictions"]:
        raise EnsembleConfigError(f"{path}: 'predictions' must map model names to files")
    names = list(data["predictions"])
    weights = parse_weight_spec(data["weights"], names, f"{path}: weights")
    auto = None
    if data["thresholds"] == "auto":
        auto = _auto(data.get("auto"), root_dir, data_dir, f"{path}: auto")
        if set(auto.val_predictions) != set(names):
            raise EnsembleConfigError(f"{path}: auto.val_predictions must name the same models as predictions")
    elif "auto" in data:
        raise EnsembleConfigError(f"{path}: key 'auto' is only read with 'thresholds: auto'")
    out_path = Path(out) if out is not None else resolve(data_dir, data.get("out", "pseudo/pseudo.csv"))
    summary = resolve(data_dir, data["summary"]) if "summary" in data and out is None else out_path.with_suffix(".json")
    return PseudoConfig(
        source=path, num_classes=int(data.get("num_classes", 11)),
        split_csv=resolve(data_dir, data["split_csv"]),
        predictions={name: resolve(root_dir, p) for name, p in data["predictions"].items()},
        temperatures=temperatures(data.get("temperature"), names, f"{path}: temperature"),
        weights=weights, thresholds=data["thresholds"], auto=auto,
        labels_csv=resolve(data_dir, data["labels_csv"]) if data.get("labels_csv") else None,
        out=out_path, summary=summary,
    )
