"""Small prediction files and CSVs for the ensemble tests."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pytest

from darkvid.predictions import PredictionTable, write_predictions


def write_preds(path: Path, logits: np.ndarray, labels: np.ndarray, ids: Optional[Sequence[str]] = None,
                valid: Optional[np.ndarray] = None) -> Path:
    """A prediction file: with `ids`, today's format (.pkl and .npz); without, the seed's pkl (logits + labels)."""
    logits, labels = np.asarray(logits, dtype=np.float32), np.asarray(labels, dtype=np.int64)
    if ids is not None:
        valid = np.ones(len(labels), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
        return write_predictions(path, PredictionTable(tuple(ids), logits, labels, valid, source=str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump({"video_preds": logits, "video_labels": labels}, handle)
    return path


def write_split(path: Path, names: list[str], labels) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{n},{int(label)}\n" for n, label in zip(names, labels)))
    return path


def noisy_logits(labels: np.ndarray, num_classes: int, strength: float, seed: int) -> np.ndarray:
    """Logits whose true class gets `strength` extra on top of unit Gaussian noise."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(labels.size, num_classes))
    logits[np.arange(labels.size), labels] += strength
    return logits


@pytest.fixture
def pool(tmp_path):
    """Three models over 200 labelled videos of 11 classes: files (with ids), split CSV and labels."""
    labels = np.arange(200) % 11
    names = [f"{i}.mp4" for i in range(200)]
    files = {f"m{k}": write_preds(tmp_path / f"exp/m{k}/valx1.pkl", noisy_logits(labels, 11, 1.5 + k, k), labels, names)
             for k in range(3)}
    csv = write_split(tmp_path / "data/val.csv", names, labels)
    return {"root": tmp_path, "labels": labels, "names": names, "files": files, "csv": csv}
