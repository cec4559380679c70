"""Per-video correctness of the report's files and the paired tests between ablation rows.

Every file is joined to the labels CSV by video id (prediction files through
darkvid.predictions.align, submissions on their Video column), so two rows are compared on exactly
the same videos whatever order their files list them in.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from darkvid.ensemble.predictions import load_split
from darkvid.ensemble.scoring import detect_kind, submission_preds
from darkvid.ensemble.stats import paired_compare
from darkvid.predictions import align, default_class_names, read_predictions

ALPHA = 0.05  # level at which the report calls a paired difference significant


def correct_by_video(path: Path, labels_csv: Path, num_classes: int | None = None) -> np.ndarray | None:
    """Whether each labelled video of `labels_csv` (in its order) is predicted right; None if a file is missing.

    Raises:
        PredictionError: a file that does not cover exactly the labelled videos (named by the loaders).
    """
    if not path.exists() or not labels_csv.exists():
        return None
    num_classes = num_classes or len(default_class_names())
    truth = load_split(labels_csv, num_classes)
    if detect_kind(path, num_classes) == "predictions":
        table = align(read_predictions(path, split=truth, num_classes=num_classes), truth.paths, str(truth.path))
        pred = table.logits.argmax(axis=1)
    else:
        pred = submission_preds(path, truth)
    known = truth.labels >= 0
    return pred[known] == truth.labels[known]


def compare_rows(correct: Sequence[np.ndarray | None], alpha: float = ALPHA) -> list[dict[str, Any] | None]:
    """Each row against the row before it (None for the first row and where either is unscored).

    A row's entry: videos, `gained` (right only in this row), `lost` (right only in the previous
    row), the exact McNemar p-value, whether it is below `alpha`, and `alpha`.
    """
    out: list[dict[str, Any] | None] = [None]
    for row in range(1, len(correct)):
        previous, current = correct[row - 1], correct[row]
        if previous is None or current is None:
            out.append(None)
            continue
        result = paired_compare(current, previous)
        out.append({"videos": result.videos, "gained": result.only_first, "lost": result.only_second,
                    "p_value": float(f"{result.p_value:.3g}"),  # three significant digits, never rounded to 0
                    "significant": result.significant(alpha), "alpha": alpha})
    return out
