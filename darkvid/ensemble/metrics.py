"""Scores against true labels: top-1, per-class accuracy, confusion, and pseudo-label quality."""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix


def classification_scores(preds: np.ndarray, labels: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Top-1 (percent), per-class accuracy (fraction, None for absent classes) and confusion matrix."""
    if preds.shape != labels.shape:
        raise ValueError(f"{preds.shape[0]} predictions for {labels.shape[0]} labels")
    matrix = confusion_matrix(labels, preds, labels=list(range(num_classes)))
    support = matrix.sum(axis=1)
    per_class = [float(matrix[c, c] / support[c]) if support[c] else None for c in range(num_classes)]
    return {
        "videos": int(labels.size),
        "top1": float(100.0 * (preds == labels).mean()) if labels.size else 0.0,
        "per_class_accuracy": per_class,
        "confusion_matrix": matrix.tolist(),
    }


def wilson_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (percent) of an accuracy of `correct` out of `total`; z=1.96 gives 95%.

    On the small dark test sets a single video moves top-1 by about a point; the interval says which
    differences between runs are more than that noise.
    """
    if total <= 0:
        raise ValueError("an interval needs at least one video")
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def pseudo_label_quality(pseudo: Mapping[str, int], truth: Mapping[str, int], num_classes: int) -> dict[str, Any]:
    """Coverage and precision (fractions) of pseudo labels on the videos whose true label is known.

    Coverage per class counts by true class (how much of class c got a pseudo label); precision per
    class counts by pseudo label (how many of the videos labelled c are c).
    """
    covered = [path for path in truth if path in pseudo]
    right = [path for path in covered if pseudo[path] == truth[path]]
    true_count = np.bincount(list(truth.values()), minlength=num_classes)
    covered_by_true = np.bincount([truth[p] for p in covered], minlength=num_classes)
    labelled_as = np.bincount([pseudo[p] for p in covered], minlength=num_classes)
    right_as = np.bincount([pseudo[p] for p in right], minlength=num_classes)
    return {
        "labelled": len(truth),
        "covered": len(covered),
        "correct": len(right),
        "coverage": _ratio(len(covered), len(truth)),
        "precision": _ratio(len(right), len(covered)),
        "coverage_per_class": [_ratio(int(covered_by_true[c]), int(true_count[c])) for c in range(num_classes)],
        "precision_per_class": [_ratio(int(right_as[c]), int(labelled_as[c])) for c in range(num_classes)],
    }


def known_labels(paths: Sequence[str], labels: Sequence[int]) -> dict[str, int]:
    """Map path -> label for the rows whose label is known (>= 0)."""
    return {path: int(label) for path, label in zip(paths, labels) if label >= 0}
