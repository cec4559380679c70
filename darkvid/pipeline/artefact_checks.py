"""The preflight of imported artefacts: checkpoints load into their step's model, pseudo labels name pool videos.

A checkpoint is loaded as testing loads it (darkvid.engine.preflight_checks.weights_problems, head
included) into the model the step's own run.sh would build; a pseudo-label CSV is read with the split
reader (path, label, one probability per class) and every video must be in the pool it labels
(DATA.SPLIT_CSV.TOTAL_UNLABEL of the run that trains on it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from darkvid.utils.files import working_directory

from .artefacts import Import
from .check import experiment_of
from .data_root import PSEUDO_DIR
from .layout import experiment_config
from .step import Step


def _config(step: Step, darkvid_preset: Optional[str]) -> Any:
    """The config of the first experiment command of `step` (None when it runs none)."""
    for command in step.commands:
        found = experiment_of(command)
        if found is not None:
            exp, _, overrides = found
            return experiment_config(exp, darkvid_preset, tuple(overrides))
    return None


def _line_of(csv_path: Path, video: str) -> int:
    """The line of `csv_path` that lists `video` (the reader skips blank lines, so rows are not lines)."""
    with open(csv_path, "r", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if line.split(",", 1)[0].strip() == video:
                return number
    return 0


def pseudo_csv_problems(csv_path: Path, pool_csv: Path, num_classes: int) -> list[str]:
    """`csv_path` reads as pseudo labels and lists only videos of `pool_csv`; problems name the file and line."""
    from darkvid.datasets.records import SplitFileError, read_split_list

    try:
        labels = read_split_list(csv_path, num_classes=num_classes, allow_unlabelled=False, with_probs=True)
        pool = set(read_split_list(pool_csv, num_classes=num_classes, allow_unlabelled=True).paths)
    except SplitFileError as err:
        return [str(err)]
    unknown = [video for video in labels.paths if video not in pool]
    if not unknown:
        return []
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    return [f"{csv_path}:{_line_of(csv_path, unknown[0])}: video {unknown[0]!r} is not in the pool "
            f"{pool_csv}{more}"]


def _checkpoint_problems(step: Step, rel: str, source: Path, work: Path, preset: Optional[str]) -> list[str]:
    from darkvid.engine.preflight_checks import weights_problems

    cfg = _config(step, preset)
    if cfg is None:
        return []
    return weights_problems(cfg, f"{source} (imported as {rel} for step {step.name})", work / rel, strict_head=True)


def _csv_problems(rel: str, source: Path, steps: list[Step], preset: Optional[str]) -> list[str]:
    """The CSV against the pool of the first run that trains on it (that run's class count and split file)."""
    from darkvid.datasets.build import data_path

    for step in steps:
        cfg = _config(step, preset) if rel in step.inputs else None
        if cfg is not None:
            return pseudo_csv_problems(source, data_path(cfg, cfg.DATA.SPLIT_CSV.TOTAL_UNLABEL).resolve(),
                                       cfg.MODEL.NUM_CLASSES)
    return []


def import_problems(imports: dict[str, Import], steps: list[Step], work: Path, preset: Optional[str]) -> list[str]:
    """Every problem of the imported files, checked in the work directory as the runs will read them."""
    by_name = {s.name: s for s in steps}
    problems: list[str] = []
    with working_directory(work):
        for item in imports.values():
            for rel, source in item.files:
                if rel.endswith(".pyth"):
                    problems += _checkpoint_problems(by_name[item.step], rel, source, work, preset)
                elif rel.startswith(PSEUDO_DIR + "/") and rel.endswith(".csv"):
                    problems += _csv_problems(rel, source, steps, preset)
    return problems
