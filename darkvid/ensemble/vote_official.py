"""The challenge's submission: `arid_pred.csv` in the official baseline's columns, and its zip.

The official baseline (`xuyu0010/ARID_UG2_2.2`, predict/predict_t2.py) writes one row per test
video with `VideoID` the number in the test file's name (`12.mp4` -> 12), `Video` the file name
as listed and `ClassID`; darkvid adds `Probability` as a number, as the seed's submission did.
Every row is checked against the test list before anything is written.
"""
from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from darkvid.datasets.records import SplitList

from .io import atomic_write_bytes, write_csv
from .predictions import PredictionError

OFFICIAL_HEADER = ("VideoID", "Video", "ClassID", "Probability")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same submission zips to the same bytes


def video_number(video: str, where: str) -> int:
    """The number in a test file's name (`Test/12.mp4` -> 12).

    Raises:
        PredictionError: a name whose stem is not a whole number, naming it and `where`.
    """
    stem = Path(video).stem
    if not stem.isdigit():
        raise PredictionError(f"{where}: test video {video!r} has no number as its name; "
                              "the official submission's VideoID is that number")
    return int(stem)


def official_rows(test: SplitList, preds: np.ndarray, probability: np.ndarray) -> list[list[Any]]:
    """Rows `VideoID, Video, ClassID, Probability` in the test list's order."""
    return [[video_number(video, str(test.path)), video, int(pred), f"{float(p):.6f}"]
            for video, pred, p in zip(test.paths, preds, probability)]


def check_official(rows: Sequence[Sequence[Any]], test: SplitList, num_classes: int) -> None:
    """Refuse rows that are not one per test video with unique ids, in-range classes and probabilities.

    As many rows as test videos, each a listed video with a VideoID of its own, cover the list exactly.

    Raises:
        PredictionError: naming the first offending row and video.
    """
    if len(rows) != len(test.paths):
        raise PredictionError(f"submission has {len(rows)} rows but {test.path} lists {len(test.paths)} videos")
    listed, seen = set(test.paths), {}
    for line, (video_id, video, class_id, prob) in enumerate(rows, start=2):
        where = f"submission row {line} ({video})"
        if video not in listed:
            raise PredictionError(f"{where}: not a video of {test.path}")
        if video_id in seen:
            raise PredictionError(f"{where}: VideoID {video_id} repeats row {seen[video_id]}")
        seen[video_id] = line
        if video_id != video_number(video, where):
            raise PredictionError(f"{where}: VideoID {video_id} is not the number in the file name")
        if not 0 <= int(class_id) < num_classes:
            raise PredictionError(f"{where}: ClassID {class_id} outside [0, {num_classes})")
        if not (math.isfinite(float(prob)) and 0.0 <= float(prob) <= 1.0):
            raise PredictionError(f"{where}: Probability {prob} is not a number in [0, 1]")


def write_official(csv_path: Path, zip_path: Path, rows: Sequence[Sequence[Any]]) -> list[Path]:
    """Write the CSV, then a zip holding it under its own name (what the challenge server takes)."""
    write_csv(csv_path, rows, OFFICIAL_HEADER)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(csv_path.name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, csv_path.read_bytes())
    return [csv_path, atomic_write_bytes(zip_path, buffer.getvalue())]
