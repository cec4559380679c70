"""The camera: how scene radiance becomes 8-bit pixels, in bright and in dark conditions.

Rendered frames are read as scene radiance (sRGB decoded to linear light). The camera scales
them by the exposure and a per-video colour cast, blurs them optically, counts photons
(Poisson shot noise at `full_well` photons for a full-scale pixel), adds Gaussian read noise,
and encodes back with the sRGB tone curve; there is no auto-exposure. Normal-light videos use
the same camera at exposure 1, so their noise is the same physics but relatively small.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CASTS = {  # per-channel gains (R, G, B) of typical night lighting, normalised to mean 1 later
    "neutral": (1.0, 1.0, 1.0),
    "sodium": (1.0, 0.72, 0.38),
    "moonlight": (0.62, 0.8, 1.0),
    "fluorescent": (0.85, 1.0, 0.9),
}

ENCODE_STEPS = 1 << 16  # linear light is quantised this finely before the tone curve (under 0.05 of a level)


@dataclass(frozen=True)
class CameraParams:
    """One video's capture settings."""

    exposure: float  # fraction of the normal-light exposure
    gains: tuple[float, float, float]  # colour cast, mean 1
    blur_sigma: float  # optical blur in pixels
    full_well: float  # photons of a full-scale pixel
    read_noise: float  # std of read noise, in 8-bit units of linear light


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light."""
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] to the sRGB tone curve."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, x.dtype.type(1.0 / 2.4)) - 0.055)


_ENCODE_LUT = np.round(255.0 * linear_to_srgb(np.linspace(0.0, 1.0, ENCODE_STEPS))).astype(np.uint8)


def gamma_correct(frames: np.ndarray, gamma: float = 0.25) -> np.ndarray:
    """The challenge's brightening, out = 255 * (in / 255) ** gamma, as float."""
    return 255.0 * (np.asarray(frames, np.float64) / 255.0) ** gamma


def _normalised(gains: np.ndarray) -> tuple[float, float, float]:
    gains = np.asarray(gains, np.float64)
    return tuple(float(g) for g in gains / gains.mean())


def sample_dark_camera(
    rng: np.random.Generator, exposure: tuple[float, float], blur: tuple[float, float],
    full_well: float, read_noise: float,
) -> CameraParams:
    """A night capture: exposure drawn log-uniformly in `exposure`, a random light cast and blur."""
    name = list(CASTS)[int(rng.integers(len(CASTS)))]
    gains = np.array(CASTS[name]) * rng.uniform(0.9, 1.1, size=3)
    lo, hi = exposure
    return CameraParams(
        exposure=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))),
        gains=_normalised(gains), blur_sigma=float(rng.uniform(*blur)),
        full_well=full_well, read_noise=read_noise,
    )


def sample_normal_camera(rng: np.random.Generator, full_well: float, read_noise: float) -> CameraParams:
    """A daylight capture with the same sensor: full exposure, near-neutral white balance."""
    return CameraParams(
        exposure=1.0, gains=_normalised(rng.uniform(0.95, 1.05, size=3)), blur_sigma=0.0,
        full_well=full_well, read_noise=read_noise,
    )


POISSON_LIMIT = 15.0  # photons: Poisson counts at or below, the (far cheaper) normal approximation above


def _shot_noise(photons: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson photon counts; above POISSON_LIMIT photons the normal approximation is close enough."""
    bright = photons > POISSON_LIMIT
    out = np.empty_like(photons)
    out[~bright] = rng.poisson(photons[~bright])
    lam = photons[bright]
    out[bright] = lam + np.sqrt(lam) * rng.standard_normal(lam.shape, dtype=np.float32)
    return out


def exposed_light(frames: np.ndarray, cam: CameraParams) -> np.ndarray:
    """Expected photons per pixel [T, H, W, 3] float32 of rendered sRGB frames: exposure, colour cast, blur."""
    to_linear = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
    light = to_linear[frames] * np.float32(cam.exposure * cam.full_well) * np.asarray(cam.gains, np.float32)
    if cam.blur_sigma > 0:
        light = np.stack([cv2.GaussianBlur(f, (0, 0), cam.blur_sigma) for f in light])
    return light


def capture(frames: np.ndarray, cam: CameraParams, rng: np.random.Generator) -> np.ndarray:
    """Photograph rendered sRGB frames [T, H, W, 3] uint8 with `cam`; returns uint8 frames."""
    light = exposed_light(frames, cam)
    signal = _shot_noise(light, rng)
    signal += rng.standard_normal(light.shape, dtype=np.float32) * np.float32(cam.read_noise * cam.full_well / 255.0)
    index = np.clip(signal * np.float32((ENCODE_STEPS - 1) / cam.full_well), 0, ENCODE_STEPS - 1)
    return _ENCODE_LUT[np.round(index).astype(np.int32)]
