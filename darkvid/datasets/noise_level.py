"""How noisy a split's videos are, relative to their brightness: the level for DATA.NOISE_AUG_STD.

Noise augmentation teaches normal-light models the grain of dark clips. What matters is the
noise-to-signal ratio in linear light (the gamma correction scales both alike), so the suggested
augmentation gives the normal-light clips the dark clips' median ratio at the normal clips' own
median brightness.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from fvcore.common.config import CfgNode

from darkvid.ensemble.io import write_json
from darkvid.synthetic.darkness import srgb_to_linear

from .build import build_dataset, build_reader
from .darkframe import linear_noise_std
from .decoding import read_all_frames

logger = logging.getLogger(__name__)
NORMAL_SPLIT = "train_label"  # the normal-light clips the augmentation is for
_MEASURED: dict[str, float] = {}  # per process: the key of the data measured -> level


@dataclass(frozen=True)
class NoiseLevel:
    """Medians over the videos measured of one split, linear light in 8-bit units."""

    split: str
    videos: int
    mean: float  # brightness
    noise_std: float  # temporal-difference noise estimate (darkframe.linear_noise_std)

    @property
    def ratio(self) -> float:
        """Noise std over brightness."""
        return self.noise_std / max(self.mean, 1e-6)


def measure_split(cfg: CfgNode, split: str, max_videos: int) -> NoiseLevel:
    """Decode up to `max_videos` videos of `split` (evenly spread over its list) and take the medians."""
    records = build_dataset(cfg, split, training=False, gamma=False).records
    if not records:
        raise ValueError(f"split {split!r} lists no videos")
    chosen = [records[int(i)] for i in np.unique(np.linspace(0, len(records) - 1, max_videos).astype(int))]
    reader = build_reader(cfg)
    means, stds = [], []
    for record in chosen:
        frames = read_all_frames(reader, record.path)
        means.append(float((srgb_to_linear(frames.astype(np.float64) / 255.0) * 255.0).mean()))
        stds.append(linear_noise_std(frames))
    return NoiseLevel(split, len(chosen), float(np.median(means)), float(np.median(stds)))


def suggested_noise_aug(dark: Sequence[NoiseLevel], normal: NoiseLevel) -> float:
    """DATA.NOISE_AUG_STD that gives `normal` clips the median noise-to-signal ratio of the `dark` splits.

    The normal clips' own noise is subtracted in quadrature (it is already there).
    """
    target = float(np.median([d.ratio for d in dark])) * normal.mean
    return float(np.sqrt(max(target ** 2 - normal.noise_std ** 2, 0.0)))


def _probe_config(cfg: CfgNode) -> CfgNode:
    """`cfg` reading raw decoded frames with every noise setting off (so measuring cannot recurse)."""
    probe = cfg.clone()
    probe.defrost()
    probe.DATA.NOISE_AUG_MEASURE, probe.DATA.NOISE_AUG_STD, probe.DATA.CACHE_DIR = False, 0.0, ""
    return probe


def _data_key(cfg: CfgNode, splits: Sequence[str]) -> str:
    """A digest of what the measurement reads: each split's video list and every listed file's size and time."""
    digest = hashlib.sha256(f"{cfg.DATA.NOISE_AUG_MEASURE_VIDEOS} {cfg.DATA.DECODING_BACKEND}".encode())
    for split in splits:
        digest.update(f"\n{split}".encode())
        for record in build_dataset(cfg, split, training=False, gamma=False).records:
            stat = os.stat(record.path) if os.path.exists(record.path) else None
            digest.update(f"\n{record.path} {stat.st_size if stat else -1} {stat.st_mtime_ns if stat else -1}".encode())
    return digest.hexdigest()[:16]


def noise_aug_std(cfg: CfgNode) -> float:
    """The read noise to add to normal-light training clips: DATA.NOISE_AUG_STD, or measured from the data.

    With DATA.NOISE_AUG_MEASURE the level is `suggested_noise_aug` of DATA.NOISE_AUG_MEASURE_SPLITS
    against train_label (what tools/measure_noise.py prints), decoded without the frame cache. It is
    measured once per data and process; with DATA.CACHE_DIR the result is kept there as
    noise_aug_<digest>.json, so a pipeline's later runs on the same videos read it instead.
    """
    data = cfg.DATA
    if not data.NOISE_AUG_MEASURE:
        return float(data.NOISE_AUG_STD)
    probe = _probe_config(cfg)
    splits = list(data.NOISE_AUG_MEASURE_SPLITS)
    if not splits:
        raise ValueError("DATA.NOISE_AUG_MEASURE is on but DATA.NOISE_AUG_MEASURE_SPLITS names no dark split")
    key = _data_key(probe, [*splits, NORMAL_SPLIT])
    if key in _MEASURED:
        return _MEASURED[key]
    stored = Path(data.CACHE_DIR) / f"noise_aug_{key}.json" if data.CACHE_DIR else None
    if stored is not None and stored.is_file():
        try:
            level = float(json.loads(stored.read_text())["noise_aug_std"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{stored}: not a noise measurement ({err}); delete it to measure again") from err
        logger.info("noise augmentation: DATA.NOISE_AUG_STD %.2f, measured earlier (%s)", level, stored)
    else:
        videos = int(data.NOISE_AUG_MEASURE_VIDEOS)
        dark = [measure_split(probe, split, videos) for split in splits]
        normal = measure_split(probe, NORMAL_SPLIT, videos)
        level = suggested_noise_aug(dark, normal)
        if stored is not None:
            write_json(stored, {"noise_aug_std": level, "dark": [asdict(d) for d in dark], "normal": asdict(normal)})
        logger.info("noise augmentation: DATA.NOISE_AUG_STD %.2f measured (dark %s: noise / brightness %s; "
                    "%s brightness %.1f)", level, ", ".join(splits), ", ".join(f"{d.ratio:.4f}" for d in dark),
                    NORMAL_SPLIT, normal.mean)
    _MEASURED[key] = level
    return level
