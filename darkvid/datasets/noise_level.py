"""How noisy a split's videos are, relative to their brightness: the level for DATA.NOISE_AUG_STD.

Noise augmentation teaches normal-light models the grain of dark clips. What matters is the
noise-to-signal ratio in linear light (the gamma correction scales both alike), so the suggested
augmentation gives the normal-light clips the dark clips' median ratio at the normal clips' own
median brightness.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from fvcore.common.config import CfgNode

from darkvid.synthetic.darkness import srgb_to_linear

from .build import build_dataset, build_reader
from .darkframe import linear_noise_std
from .decoding import read_all_frames


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
