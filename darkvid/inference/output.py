"""Prediction rows as CSV or JSON, written as they come into a temporary file renamed at the end.

A row: path, top-k class names with probabilities, the ensemble's vote and agreement, the video's
measured brightness and the gamma applied, its frame count, and `error` (empty when predicted).
"""
from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .runner import VideoResult
from .scoring import Answer

_DIGITS = 6


def make_row(result: VideoResult, answer: Answer | None, classes: Sequence[str]) -> dict[str, Any]:
    """The row of one video; `answer` is None when it failed."""
    video = result.video
    gammas = video.gammas
    row: dict[str, Any] = {"path": video.path, "top": []}
    if answer is not None:
        row["top"] = [{"class": classes[i], "probability": round(p, _DIGITS)} for i, p in answer.top]
        if answer.vote is not None:
            row.update(vote=classes[answer.vote], vote_probability=round(answer.vote_probability, _DIGITS),
                       agreement=round(answer.agreement, _DIGITS))
    row["brightness"] = None if video.error else round(video.brightness, _DIGITS)
    # A member's views may get different adaptive gammas: the row gives their mean.
    row["gamma"] = round(sum(gammas) / len(gammas), _DIGITS) if gammas else None
    row["frames"] = video.frames or None
    row["error"] = video.error
    return row


class RowWriter:
    """Streams rows to `path` (.csv or .json by suffix), or CSV to stdout when `path` is None."""

    def __init__(self, path: Path | None, topk: int, ensemble: bool) -> None:
        self.path, self.count = (Path(path) if path else None), 0
        self.json = self.path is not None and self.path.suffix.lower() == ".json"
        if self.path is not None and self.path.suffix.lower() not in (".csv", ".json"):
            raise ValueError(f"--out must end in .csv or .json; got {self.path}")
        self._tmp: str | None = None
        self._handle: TextIO = sys.stdout
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            self._handle = os.fdopen(fd, "w", newline="")
        self.columns = ["path"] + [f"{kind}{i}" for i in range(1, topk + 1) for kind in ("top", "prob")]
        if ensemble:
            self.columns += ["vote", "vote_probability", "agreement"]
        self.columns += ["brightness", "gamma", "frames", "error"]
        self._csv = None if self.json else csv.writer(self._handle, lineterminator="\n")
        if self._csv is not None:
            self._csv.writerow(self.columns)
        else:
            self._handle.write("[")

    def write(self, row: dict[str, Any]) -> None:
        """Append one row."""
        if self.json:
            self._handle.write(("," if self.count else "") + "\n  " + json.dumps(row))
        else:
            self._csv.writerow(_flat(row, self.columns))
        self.count += 1
        self._handle.flush()

    def close(self, keep: bool = True) -> None:
        """Finish the file and move it into place (`keep` False drops it)."""
        if self.json:
            self._handle.write("\n]\n")
        if self._tmp is None:
            return
        self._handle.close()
        if keep:
            os.replace(self._tmp, self.path)
        else:
            Path(self._tmp).unlink(missing_ok=True)


def _flat(row: dict[str, Any], columns: list[str]) -> list[Any]:
    flat = {k: v for k, v in row.items() if k != "top"}
    for i, item in enumerate(row["top"], start=1):
        flat[f"top{i}"], flat[f"prob{i}"] = item["class"], item["probability"]
    return ["" if flat.get(c) is None else flat.get(c) for c in columns]
