"""Per-class confidence thresholds for pseudo labels, and a grid search of ensemble weights.

A video is pseudo-labelled with its argmax class c when its top probability reaches threshold[c].
Automatic thresholds come from labelled predictions (ARID): for each class, the lowest threshold whose
selected videos still reach the target precision, i.e. the largest coverage at that precision.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np

from .combine import EnsembleConfigError, WeightSpec, combine

NEVER = math.inf


def fixed_thresholds(data: Any, num_classes: int, where: str) -> np.ndarray:
    """Thresholds from config data: one number for all classes, a list, or a `{class: value}` mapping."""
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return np.full(num_classes, float(data))
    if isinstance(data, Mapping):
        keys = sorted(int(k) for k in data)
        if keys != list(range(num_classes)):
            raise EnsembleConfigError(f"{where}: needs one threshold for each class 0..{num_classes - 1}, has {keys}")
        return np.array([float(data[k] if k in data else data[str(k)]) for k in range(num_classes)])
    if isinstance(data, Sequence) and not isinstance(data, str) and len(data) == num_classes:
        return np.array([float(value) for value in data])
    raise EnsembleConfigError(f"{where}: expected a number, {num_classes} numbers, a class mapping or 'auto'")


def select(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Boolean mask of the videos whose top probability reaches their predicted class's threshold."""
    preds = probs.argmax(axis=1)
    return probs.max(axis=1) >= thresholds[preds]


def relaxed_target(target: float, relax_per_stage: float, stage: int) -> float:
    """Target precision of `stage` (1-based) when each later stage lowers it by `relax_per_stage`."""
    return target - relax_per_stage * max(stage - 1, 0)


def class_threshold(conf: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Lowest threshold on `conf` whose selection has precision >= target; `NEVER` if none has."""
    order = np.argsort(-conf, kind="stable")
    conf, correct = conf[order], correct[order]
    precision = np.cumsum(correct) / np.arange(1, conf.size + 1)
    group_end = np.append(conf[1:] != conf[:-1], True)
    ok = np.flatnonzero(group_end & (precision >= target))
    return float(conf[ok[-1]]) if ok.size else NEVER


def auto_thresholds(probs: np.ndarray, labels: np.ndarray, target: float) -> np.ndarray:
    """One threshold per class from labelled probabilities, each reaching `target` precision."""
    preds, conf = probs.argmax(axis=1), probs.max(axis=1)
    thresholds = np.full(probs.shape[1], NEVER)
    for cls in range(probs.shape[1]):
        rows = preds == cls
        if rows.any():
            thresholds[cls] = class_threshold(conf[rows], labels[rows] == cls, target)
    return thresholds


def thresholds_to_list(thresholds: np.ndarray) -> list[float | None]:
    """Thresholds for JSON: None marks a class that is never selected."""
    return [None if math.isinf(t) else float(t) for t in thresholds]


def _simplex(num: int, step: float) -> list[tuple[float, ...]]:
    units = round(1 / step)
    if not math.isclose(units * step, 1.0):
        raise EnsembleConfigError(f"weight search step {step} must divide 1")
    points = []
    for cuts in itertools.combinations(range(units + num - 1), num - 1):
        parts = np.diff([-1, *cuts, units + num - 1]) - 1
        points.append(tuple(float(p) * step for p in parts))
    return points


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy (fraction) of `probs` on `labels`."""
    return float((probs.argmax(axis=1) == labels).mean())


def search_weights(probs: Mapping[str, np.ndarray], labels: np.ndarray, spec: WeightSpec,
                   step: float = 0.1) -> tuple[WeightSpec, float]:
    """Grid-search the default weights of `spec` on labelled probabilities, keeping its rules.

    The starting weights are scored first and only a strictly better point replaces them, so the
    result never scores below the start and ties resolve the same way on every run.
    """
    names = sorted(spec.default)
    best, best_acc = spec, accuracy(combine(probs, spec), labels)
    for point in _simplex(len(names), step):
        candidate = replace(spec, default=dict(zip(names, point)))
        acc = accuracy(combine(probs, candidate), labels)
        if acc > best_acc:
            best, best_acc = candidate, acc
    return best, best_acc
