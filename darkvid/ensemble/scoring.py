"""Score a submission CSV, a prediction file or a pseudo-label CSV against a labels CSV.

The kind is read from the file: `.pkl`/`.npz` are prediction files, a CSV whose first line starts
`VideoID,Video,ClassID` is a submission (darkvid's `submission.csv` or the official `arid_pred.csv`),
a headerless CSV of `path,label,p0..pK` is pseudo labels. Every kind is joined to the labels by
video: rows may come in any order, but each file must cover exactly the labelled CSV's videos.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from darkvid.datasets.records import SplitList
from darkvid.predictions import (
    align,
    class_names,
    default_class_names,
    read_predictions,
)

from .metrics import classification_scores, known_labels, pseudo_label_quality
from .predictions import PredictionError, load_split
from .vote import SUBMISSION_HEADER

_SUBMISSION_KEYS = SUBMISSION_HEADER[:3]


def detect_kind(path: Path, num_classes: int) -> str:
    """'predictions', 'submission' or 'pseudo', from the suffix and the first line."""
    if path.suffix in (".pkl", ".npz"):
        return "predictions"
    if not path.is_file():
        raise PredictionError(f"file to score not found: {path}")
    with path.open(newline="") as handle:
        first = next(csv.reader(handle), [])
    if tuple(first[:3]) == _SUBMISSION_KEYS:
        return "submission"
    if len(first) == num_classes + 2:
        return "pseudo"
    raise PredictionError(f"{path}: neither a submission (header {','.join(SUBMISSION_HEADER)}) "
                          f"nor a pseudo-label CSV (path,label and {num_classes} probabilities)")


def submission_preds(path: Path, truth: SplitList) -> np.ndarray:
    """Class ids of a submission in the labels CSV's order, joined on the Video column.

    Raises:
        PredictionError: a short row, a repeated video, or videos that are not the labels CSV's (named).
    """
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    classes: dict[str, int] = {}
    for line_no, row in enumerate(rows, start=2):
        if len(row) < 3 or not row[2].lstrip("-").isdigit():
            raise PredictionError(f"{path}:{line_no}: expected VideoID,Video,ClassID[,Probability], found {row}")
        if row[1] in classes:
            raise PredictionError(f"{path}:{line_no}: video {row[1]} appears twice")
        classes[row[1]] = int(row[2])
    missing = [video for video in truth.paths if video not in classes]
    extra = sorted(set(classes) - set(truth.paths))
    if missing or extra:
        raise PredictionError(f"{path} and {truth.path} cover different videos: {len(missing)} only in "
                              f"{truth.path} (first {missing[:5]}), {len(extra)} only in {path} (first {extra[:5]})")
    return np.array([classes[video] for video in truth.paths], dtype=np.int64)


def score_file(path: str | Path, labels_csv: str | Path, num_classes: int | None = None) -> dict[str, Any]:
    """Scores of one file; see the module docstring for how its kind is chosen.

    `num_classes` defaults to the number of DATA.CLASS_NAMES.
    """
    path = Path(path)
    num_classes = num_classes or len(default_class_names())
    truth = load_split(labels_csv, num_classes)
    kind = detect_kind(path, num_classes)
    result: dict[str, Any] = {"file": str(path), "labels": str(labels_csv), "kind": kind,
                              "class_names": list(default_class_names(num_classes))}
    if kind == "pseudo":
        pseudo = load_split(path, num_classes, with_probs=True)
        result.update(pseudo_label_quality(dict(zip(pseudo.paths, pseudo.labels.tolist())),
                                           known_labels(list(truth.paths), truth.labels), num_classes))
        return result
    if kind == "predictions":
        table = align(read_predictions(path, split=truth, num_classes=num_classes), truth.paths, str(truth.path))
        pred = table.logits.argmax(axis=1)
        result.update(class_names=list(class_names([table], num_classes)), invalid=int((~table.valid).sum()))
    else:
        pred = submission_preds(path, truth)
    known = truth.labels >= 0
    if not known.any():
        raise PredictionError(f"{labels_csv}: no known labels to score against")
    if not ((pred >= 0) & (pred < num_classes)).all():
        raise PredictionError(f"{path}: class ids outside [0, {num_classes})")
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
