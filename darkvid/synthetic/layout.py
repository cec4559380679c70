"""The UG2+ / ARID folder layout: which video goes where, its names, links and the split CSVs.

Class order inside the dark pools (dark_train/Train/N.mp4 and Test/N.mp4) is a seeded shuffle,
so a file's number says nothing about its class, as in the challenge.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from darkvid.synthetic.actions import CLASS_NAMES
from darkvid.synthetic.presets import SynthSettings

SPLIT_CODES = {"train": 0, "val": 1, "dark": 2, "arid": 3, "test": 4}  # part of every video's RNG key
DARK_SPLITS = ("dark", "arid", "test")
TRAIN_DIR, VAL_DIR = "labeled_train/Train", "dry_run/Validation"
DARK_DIR, ARID_DIR, TEST_DIR = "dark_train/Train", "ARID_v1.5/clips_v1.5", "Test"
CSV_FILES = ("train_label+val_dry.csv", "train_label.csv", "val_dry.csv", "dark_unlabel.csv", "dark_unlabel_labels.csv",
             "arid.csv", "total_unlabel.csv", "test.csv", "test_labels.csv")
OWNED = ("labeled_train", "dry_run", "dark_train", "ARID_v1.5", "Test") + CSV_FILES  # what --force removes


@dataclass(frozen=True)
class VideoJob:
    """One video to render: its split, its index there (the RNG key), its label and names."""

    split: str
    index: int
    label: int
    name: str  # path as written in the split CSV, relative to the split's video folder
    path: str  # where the file is written, relative to the root
    links: tuple[str, ...] = ()  # other places (relative to the root) where the same file must appear


def _shuffled_labels(seed: int, split: str, per_class: int) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 100 + SPLIT_CODES[split]]))
    return rng.permutation(np.repeat(np.arange(len(CLASS_NAMES)), per_class))


def plan_videos(settings: SynthSettings, seed: int) -> list[VideoJob]:
    """Every video of the dataset, in CSV order per split."""
    jobs = []
    for label, cls in enumerate(CLASS_NAMES):
        for i in range(settings.train_per_class):
            name = f"syn_{cls.lower()}_{i:04d}.mp4"
            jobs.append(VideoJob("train", label * settings.train_per_class + i, label, name, f"{TRAIN_DIR}/{name}"))
        for i in range(settings.val_per_class):
            name = f"synval_{cls.lower()}_{i:04d}.mp4"
            jobs.append(VideoJob("val", label * settings.val_per_class + i, label, name, f"{VAL_DIR}/{name}",
                                 (f"{TRAIN_DIR}/{name}",)))
    for label, cls in enumerate(CLASS_NAMES):
        for i in range(settings.arid_per_class):
            name = f"{cls}/{cls}_{1 + i % 5}_{1 + i // 5}.mp4"  # Class_actor_clip, as in ARID
            jobs.append(VideoJob("arid", label * settings.arid_per_class + i, label, name, f"{ARID_DIR}/{name}",
                                 (f"{DARK_DIR}/{name}",)))
    for split, folder, per_class in (("dark", DARK_DIR, settings.dark_per_class),
                                     ("test", TEST_DIR, settings.test_per_class)):
        for k, label in enumerate(_shuffled_labels(seed, split, per_class)):
            jobs.append(VideoJob(split, k, int(label), f"{k}.mp4", f"{folder}/{k}.mp4"))
    return jobs


def link_copies(root: Path, jobs: list[VideoJob]) -> None:
    """Make every video reachable at its extra paths: a hard link, or a copy where links fail."""
    for job in jobs:
        for rel in job.links:
            src, dst = root / job.path, root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists() and os.path.samefile(src, dst):
                continue
            tmp = dst.with_name(dst.name + ".part")
            tmp.unlink(missing_ok=True)
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dst)


def _labelled(jobs: list[VideoJob]) -> list[str]:
    return [f"{j.name},{j.label}" for j in jobs]


def _hidden(jobs: list[VideoJob]) -> list[str]:
    return [f"{j.name},-1" for j in jobs]


def csv_rows(jobs: list[VideoJob]) -> dict[str, list[str]]:
    """Rows (`path,label`, no header) of every split CSV, keyed by file name."""
    by_split = {s: [j for j in jobs if j.split == s] for s in SPLIT_CODES}
    train_val = [j for j in jobs if j.split in ("train", "val")]
    return {
        "train_label+val_dry.csv": _labelled(train_val),
        # Not in the challenge: the training videos alone, so that val_dry can be held out.
        "train_label.csv": _labelled(by_split["train"]),
        "val_dry.csv": _labelled(by_split["val"]),
        "dark_unlabel.csv": _hidden(by_split["dark"]),
        "dark_unlabel_labels.csv": _labelled(by_split["dark"]),
        "arid.csv": _labelled(by_split["arid"]),
        "total_unlabel.csv": _hidden(by_split["dark"]) + _hidden(by_split["arid"]),
        "test.csv": _hidden(by_split["test"]),
        "test_labels.csv": _labelled(by_split["test"]),
    }


def write_csvs(root: Path, jobs: list[VideoJob]) -> dict[str, int]:
    """Write every split CSV atomically; returns the row count of each."""
    counts = {}
    for name, rows in csv_rows(jobs).items():
        tmp = root / (name + ".part")
        tmp.write_text("".join(row + "\n" for row in rows))
        os.replace(tmp, root / name)
        counts[name] = len(rows)
    return counts


def remove_outputs(root: Path) -> None:
    """Delete what the generator writes under `root` (and nothing else)."""
    for name in OWNED + ("summary.json",):
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
