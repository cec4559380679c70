"""Score a submission CSV, a prediction file or a pseudo-label CSV against a labels CSV.

The kind is read from the file: `.pkl`/`.npz` are prediction files (paired to the labels by row order
and count), a CSV whose first line is the submission header is a submission (paired by row, the
Video column must match the labels' path), a headerless CSV of `path,label,p0..pK` is pseudo labels.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from .metrics import classification_scores, known_labels, pseudo_label_quality
from .predictions import PredictionError, SplitRows, load_predictions, pair_with_csv, read_split_csv
from .vote import SUBMISSION_HEADER


def detect_kind(path: Path, num_classes: int) -> str:
    """'predictions', 'submission' or 'pseudo', from the suffix and the first line."""
    if path.suffix in (".pkl", ".npz"):
        return "predictions"
    if not path.is_file():
        raise PredictionError(f"file to score not found: {path}")
    with path.open(newline="") as handle:
        first = next(csv.reader(handle), [])
    if tuple(first) == SUBMISSION_HEADER:
        return "submission"
    if len(first) == num_classes + 2:
        return "pseudo"
    raise PredictionError(f"{path}: neither a submission (header {','.join(SUBMISSION_HEADER)}) "
                          f"nor a pseudo-label CSV (path,label and {num_classes} probabilities)")


def submission_preds(path: Path, truth: SplitRows) -> np.ndarray:
    """Class ids of a submission, checked row by row against the labels CSV's paths."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    if len(rows) != len(truth.paths):
        raise PredictionError(f"{path} has {len(rows)} rows but {truth.path} has {len(truth.paths)}")
    for line_no, (row, expected) in enumerate(zip(rows, truth.paths), start=2):
        if len(row) != len(SUBMISSION_HEADER) or row[1] != expected:
            raise PredictionError(f"{path}:{line_no}: expected video {expected}, found {row[1:2]}")
    return np.array([int(row[2]) for row in rows], dtype=np.int64)


def score_file(path: str | Path, labels_csv: str | Path, num_classes: int = 11) -> dict[str, Any]:
    """Scores of one file; see the module docstring for how its kind is chosen."""
    path = Path(path)
    truth = read_split_csv(labels_csv)
    kind = detect_kind(path, num_classes)
    result: dict[str, Any] = {"file": str(path), "labels": str(labels_csv), "kind": kind}
    if kind == "pseudo":
        pseudo = read_split_csv(path)
        result.update(pseudo_label_quality(dict(zip(pseudo.paths, pseudo.labels.tolist())),
                                           known_labels(truth.paths, truth.labels), num_classes))
        return result
    if kind == "predictions":
        preds = load_predictions(path, num_classes)
        pair_with_csv(preds, truth)
        pred = preds.logits.argmax(axis=1)
    else:
        pred = submission_preds(path, truth)
    known = truth.labels >= 0
    if not known.any():
        raise PredictionError(f"{labels_csv}: no known labels to score against")
    result.update(classification_scores(pred[known], truth.labels[known], num_classes))
    return result


def confusion_text(matrix: list[list[int]]) -> str:
    """The confusion matrix as aligned text, rows = true class, columns = predicted class."""
    width = max(len(str(v)) for row in matrix for v in row) + 1
    head = " " * 4 + "".join(f"{c:>{width}}" for c in range(len(matrix)))
    return "\n".join([head] + [f"{i:>3} " + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(matrix)])


def confusion_figure(matrix: list[list[int]], class_names: list[str]):
    """A matplotlib figure of the confusion matrix (the caller saves and closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(data, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), value in np.ndenumerate(data):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    fig.tight_layout()
    return fig, plt
