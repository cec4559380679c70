"""Gamma correction of dark uint8 frames: out = 255 * (in / 255) ** gamma, through a lookup table.

Values are quantised as torchvision's `adjust_gamma` does on uint8 images (what the seed called),
so a fixed gamma gives the seed's pixels exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch


@lru_cache(maxsize=64)
def gamma_lut(gamma: float) -> np.ndarray:
    """The 256-entry uint8 table of the correction with exponent `gamma`."""
    if not gamma > 0:
        raise ValueError(f"gamma must be positive; got {gamma}")
    levels = torch.arange(256, dtype=torch.float32).div(255.0)
    corrected = levels.pow(gamma).clamp(0.0, 1.0).mul(256.0 - 1e-3).to(torch.uint8)
    table = corrected.numpy()
    table.setflags(write=False)
    return table


def apply_gamma(frames: np.ndarray, gamma: float) -> np.ndarray:
    """Gamma-correct uint8 frames of any shape (a new array)."""
    if frames.dtype != np.uint8:
        raise TypeError(f"gamma correction expects uint8 frames; got {frames.dtype}")
    table = gamma_lut(float(gamma))
    if frames.size == 0:
        return frames.copy()
    # OpenCV's table lookup is several times faster than NumPy indexing and gives the same bytes;
    # it wants a 2-D array, so each frame becomes one row.
    rows = np.ascontiguousarray(frames).reshape(frames.shape[0] if frames.ndim > 1 else 1, -1)
    return cv2.LUT(rows, table).reshape(frames.shape)


def adaptive_gamma(frames: np.ndarray, target_mean: float, bounds: Sequence[float] = (0.1, 1.0)) -> float:
    """The gamma that brings the mean brightness of `frames` to `target_mean` (in [0, 1]).

    Solves mean ** gamma = target for the frames' mean (an approximation: the mean of powers is
    not the power of the mean), clipped to `bounds` so black or bright videos stay sane.
    """
    if not 0 < target_mean < 1:
        raise ValueError(f"target mean brightness must be in (0, 1); got {target_mean}")
    mean = float(np.mean(frames, dtype=np.float64)) / 255.0
    mean = min(max(mean, 1.0 / 255.0), 254.0 / 255.0)
    gamma = math.log(target_mean) / math.log(mean)
    return float(min(max(gamma, bounds[0]), bounds[1]))


@dataclass(frozen=True)
class GammaCorrection:
    """Per-clip gamma correction.

    Attributes:
        mode: "fixed" (always `gamma`) or "adaptive" (per clip, towards `target_mean`).
        gamma: exponent of the fixed mode.
        target_mean: mean brightness the adaptive mode aims for, in (0, 1).
        bounds: [min, max] of the adaptive gamma.
    """

    mode: str = "fixed"
    gamma: float = 0.25
    target_mean: float = 0.4
    bounds: Tuple[float, float] = (0.1, 1.0)

    def __post_init__(self) -> None:
        if self.mode not in ("fixed", "adaptive"):
            raise ValueError(f"gamma mode {self.mode!r} is not 'fixed' or 'adaptive'")

    def __call__(self, frames: np.ndarray) -> Tuple[np.ndarray, float]:
        """Corrected frames and the gamma used."""
        if self.mode == "fixed":
            gamma = self.gamma
        else:
            gamma = adaptive_gamma(frames, self.target_mean, self.bounds)
        return apply_gamma(frames, gamma), gamma
