"""Precision and coverage of pseudo labels over the whole threshold range, per class.

For class c and threshold t, the selection is the labelled videos predicted c with top probability
>= t; precision is the share of them truly c, coverage the share of the videos predicted c that are
kept, recall the share of the true-c videos kept with label c.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from .io import atomic_write_text, save_figure, write_csv

TABLE_HEADER = ("class", "threshold", "selected", "correct", "precision", "coverage", "recall")


def curve_table(probs: np.ndarray, labels: np.ndarray, grid: np.ndarray) -> list[tuple]:
    """Rows `(class, threshold, selected, correct, precision, coverage, recall)` per class and grid value."""
    preds, conf = probs.argmax(axis=1), probs.max(axis=1)
    rows = []
    for cls in range(probs.shape[1]):
        mine, truth = preds == cls, int((labels == cls).sum())
        predicted = int(mine.sum())
        for t in grid:
            chosen = mine & (conf >= t)
            selected, correct = int(chosen.sum()), int((chosen & (labels == cls)).sum())
            rows.append((cls, float(t), selected, correct,
                         correct / selected if selected else math.nan,
                         selected / predicted if predicted else math.nan, correct / truth if truth else math.nan))
    return rows


def _markdown(rows: Sequence[tuple]) -> str:
    lines = ["| " + " | ".join(TABLE_HEADER) + " |", "|" + " --- |" * len(TABLE_HEADER)]
    for cls, t, sel, cor, prec, cov, rec in rows:
        lines.append(f"| {cls} | {t:.3f} | {sel} | {cor} | {prec:.4f} | {cov:.4f} | {rec:.4f} |")
    return "\n".join(lines) + "\n"


def _plot(rows: Sequence[tuple], chosen: np.ndarray, class_names: Sequence[str]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    num = len(chosen)
    cols = 4
    fig, axes = plt.subplots(math.ceil(num / cols), cols, figsize=(4 * cols, 3 * math.ceil(num / cols)), squeeze=False)
    table = np.array([r[1:] for r in rows], dtype=float).reshape(num, -1, 6)
    for cls, ax in enumerate(axes.flat):
        if cls >= num:
            ax.axis("off")
            continue
        ax.plot(table[cls, :, 0], table[cls, :, 3], label="precision")
        ax.plot(table[cls, :, 0], table[cls, :, 4], label="coverage")
        if math.isfinite(chosen[cls]):
            ax.axvline(chosen[cls], color="red", linestyle="--", label=f"chosen {chosen[cls]:.3f}")
        ax.set_title(class_names[cls] if cls < len(class_names) else str(cls))
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("threshold", fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig, plt


def write_exploration(out_stem: Path, probs: np.ndarray, labels: np.ndarray, chosen: np.ndarray,
                      class_names: Sequence[str], steps: int = 101) -> list[Path]:
    """Write `<stem>.csv`, `<stem>.md` and `<stem>.png`; the plot marks the chosen thresholds."""
    rows = curve_table(probs, labels, np.linspace(0.0, 1.0, steps))
    written = [write_csv(out_stem.with_suffix(".csv"), rows, TABLE_HEADER),
               atomic_write_text(out_stem.with_suffix(".md"), _markdown(rows))]
    fig, plt = _plot(rows, chosen, class_names)
    written.append(save_figure(out_stem.with_suffix(".png"), fig))
    plt.close(fig)
    return written
