"""Tiny coded videos and a tiny UG2-style layout for the data pipeline tests.

Frame i of a coded video is grey level 20 + 8 * i on its right half (the left half has red 200),
coarse enough to survive the YUV round trip, so `frame_ids` reads back which frames were sampled.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import av
import numpy as np
import pytest

from darkvid.config import get_cfg

WIDTH, HEIGHT = 64, 48  # decord mis-reads frames narrower than 64 pixels


def coded_frame(i: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The RGB frame number `i` of a coded video."""
    frame = np.full((height, width, 3), 20 + 8 * i, np.uint8)
    frame[:, : width // 2, 0] = 200
    return frame


def write_video(path: Path, num_frames: int = 20, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """Write a lossless H.264 coded video (mp4, or mkv whose container does not count frames)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"qp": "0"}
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(coded_frame(i, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def frame_ids(frames: np.ndarray) -> List[int]:
    """Which coded frames uint8 frames [T, H, W, 3] are."""
    grey = frames[:, :, frames.shape[2] // 2 + 2:, 1].reshape(frames.shape[0], -1).mean(axis=1)
    return [int(round((g - 20) / 8)) for g in grey]


@pytest.fixture(scope="session")
def coded_video(tmp_path_factory) -> Path:
    """A 20-frame coded mp4."""
    return write_video(tmp_path_factory.mktemp("videos") / "coded.mp4")


def make_layout(root: Path, frames_per_video: int = 20) -> Path:
    """A miniature of the seed's layout: 4 labelled train videos, 2 val, 3 dark + pseudo, 2 test."""
    train = [write_video(root / "labeled_train/Train" / f"t{i}.mp4", frames_per_video) for i in range(4)]
    (root / "train_label+val_dry.csv").write_text("".join(f"{p.name},{i % 3}\n" for i, p in enumerate(train)))
    for i in range(2):
        write_video(root / "dry_run/Validation" / f"v{i}.mp4", frames_per_video)
    (root / "val_dry.csv").write_text("v0.mp4,1\nv1.mp4,2\n")
    for i in range(3):
        write_video(root / "dark_train/Train" / f"{i}.mp4", frames_per_video)
    (root / "dark_unlabel.csv").write_text("0.mp4,-1\n1.mp4,-1\n2.mp4,-1\n")
    (root / "total_unlabel.csv").write_text("0.mp4,-1\n1.mp4,-1\n2.mp4,-1\n")
    probs = ",".join(["0.1"] * 10 + ["0.0"])
    (root / "pseudo.csv").write_text(f"0.mp4,3,{probs}\n2.mp4,5,{probs}\n")
    for i in range(2):
        write_video(root / "Test" / f"{i}.mp4", frames_per_video)
    (root / "test.csv").write_text("0.mp4,-1\n1.mp4,-1\n")
    return root


@pytest.fixture(scope="session")
def layout(tmp_path_factory) -> Path:
    """A tiny dataset root in the seed's layout (shared: tests must not modify it)."""
    return make_layout(tmp_path_factory.mktemp("layout"))


def tiny_cfg(root: Path, *opts):
    """A small-clip configuration over `root` (4 frames, crops of 32, no workers)."""
    cfg = get_cfg()
    cfg.DATA.PATH_PREFIX = str(root)
    cfg.DATA.PSEUDO_CSV = "pseudo.csv"
    cfg.DATA.NUM_FRAMES = 4
    cfg.DATA.TRAIN_JITTER_SCALES = [40, 48]
    cfg.DATA.TRAIN_CROP_SIZE = 32
    cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA_LOADER.NUM_WORKERS = 0
    cfg.TRAIN.BATCH_SIZE = 2
    cfg.TEST.BATCH_SIZE = 2
    if opts:
        cfg.merge_from_list(list(opts))
    return cfg
