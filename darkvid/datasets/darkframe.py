"""Dark-frame treatments beyond one gamma: dual gamma, denoising, per-clip standardisation, noise.

Pure functions over uint8 frames [T, H, W, C], and `DarkFrameTreatment`, a `GammaCorrection` that
chains them in one fixed order (each step off unless configured):

1. noise augmentation (normal-light training clips): Gaussian read noise added in linear light;
2. the gamma correction (fixed or adaptive, `GammaCorrection`); with a dual gamma, the average of
   that correction and a milder one (`dual_gamma`);
3. temporal denoising: a centred moving average over the clip's sampled frames;
4. spatial denoising: a box or Gaussian filter per frame;
5. per-clip standardisation (the DarkNorm idea): each channel rescaled to a target mean and std.

Steps 3-5 work in float and the result is rounded to uint8 once. With every step off the result is
the plain `GammaCorrection`'s, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from darkvid.synthetic.darkness import linear_to_srgb, srgb_to_linear

from .gamma import GammaCorrection, apply_gamma

_MAD_TO_STD = 1.4826  # median absolute deviation of a Gaussian, in standard deviations
SPATIAL_KINDS = ("box", "gaussian")


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _check(frames: np.ndarray) -> None:
    if frames.dtype != np.uint8 or frames.ndim != 4:
        raise TypeError(f"expected uint8 frames [T, H, W, C]; got {frames.dtype} {frames.shape}")


def dual_gamma(frames: np.ndarray, first: np.ndarray, mild: float, weight: float) -> np.ndarray:
    """`weight` x `first` (frames already corrected by the main gamma) + (1 - weight) x frames at gamma `mild`.

    A bright correction (e.g. 0.25) lifts the shadows and the noise; a milder one (e.g. 0.5) keeps
    contrast in the brighter parts. Averaging the two pixel values is the single-stream form of the
    dual-gamma inputs of ELLAR (DGAM) and DarkLight, which feed two corrections to the network.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"dual-gamma weight must be in [0, 1]; got {weight}")
    blend = weight * first.astype(np.float32) + (1.0 - weight) * apply_gamma(frames, mild).astype(np.float32)
    return blend


def temporal_average(frames: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average over `k` (odd) frames, edges repeated; float32 of the frames' shape.

    It pools the grain of neighbouring sampled frames before the network sees them; a constant clip
    is unchanged. The frames are the clip's sampled frames, so with a frame stride it also blurs motion.
    """
    if k < 1 or k % 2 == 0:
        raise ValueError(f"temporal denoising needs an odd number of frames >= 1; got {k}")
    values = frames.astype(np.float32)
    if k == 1:
        return values
    half = k // 2
    padded = np.concatenate([np.repeat(values[:1], half, 0), values, np.repeat(values[-1:], half, 0)])
    sums = np.cumsum(padded, axis=0, dtype=np.float64)
    sums = np.concatenate([np.zeros_like(sums[:1]), sums])
    return ((sums[k:] - sums[:-k]) / k).astype(np.float32)


def spatial_filter(frames: np.ndarray, k: int, kind: str = "box") -> np.ndarray:
    """A `k` x `k` (odd) box or Gaussian filter on every frame (reflected borders); float32."""
    if k < 1 or k % 2 == 0:
        raise ValueError(f"spatial denoising needs an odd kernel side >= 1; got {k}")
    if kind not in SPATIAL_KINDS:
        raise ValueError(f"spatial denoising kind must be one of {SPATIAL_KINDS}; got {kind!r}")
    values = frames.astype(np.float32)
    if k == 1:
        return values
    if kind == "box":
        return np.stack([cv2.blur(frame, (k, k)) for frame in values]).reshape(values.shape)
    return np.stack([cv2.GaussianBlur(frame, (k, k), 0) for frame in values]).reshape(values.shape)


def standardise_clip(frames: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Each channel of the clip rescaled to mean `mean` and std `std` (fractions of 255); float32.

    DarkNorm's observation: a dark clip's brightness and contrast say little about the action, so
    the clip's own statistics are removed instead of guessing a gamma. With `mean`/`std` equal to
    DATA.MEAN/DATA.STD the network input has zero mean and unit std per clip and channel.
    """
    values = frames.astype(np.float32)
    axes = tuple(range(values.ndim - 1))
    centre = values.mean(axis=axes, keepdims=True)
    spread = np.maximum(values.std(axis=axes, keepdims=True), 1e-3)
    return (values - centre) / spread * (255.0 * std) + 255.0 * mean


def add_linear_noise(frames: np.ndarray, std: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Frames with Gaussian read noise of `std` (8-bit units of linear light) added, as the camera would.

    The sRGB-encoded frames are taken to linear light, the noise added, the sum clipped to [0, 255]
    and encoded back: the generator's (darkvid/synthetic/darkness.py) read-noise model.
    """
    _check(frames)
    if std <= 0:
        return frames.copy()
    rng = rng if rng is not None else np.random.default_rng(np.random.randint(2 ** 31))
    linear = srgb_to_linear(frames.astype(np.float32) / 255.0) * 255.0
    linear += rng.standard_normal(frames.shape, dtype=np.float32) * np.float32(std)
    return _to_uint8(255.0 * linear_to_srgb(np.clip(linear, 0.0, 255.0) / 255.0))


def estimate_noise_std(frames: np.ndarray) -> float:
    """Noise std of a clip from its temporal differences, robust to the moving parts.

    Between two frames of a still background the difference is noise with variance 2 sigma^2; the
    median absolute deviation of all differences ignores the few moving pixels.
    """
    values = np.asarray(frames, dtype=np.float64)
    if values.shape[0] < 2:
        raise ValueError(f"a noise estimate needs at least two frames; got {values.shape[0]}")
    diffs = np.diff(values, axis=0).ravel()
    mad = np.median(np.abs(diffs - np.median(diffs)))
    return float(_MAD_TO_STD * mad / np.sqrt(2.0))


def linear_noise_std(frames: np.ndarray) -> float:
    """`estimate_noise_std` of uint8 sRGB frames taken to linear light, in 8-bit units (DATA.NOISE_AUG_STD's unit)."""
    _check(frames)
    return estimate_noise_std(srgb_to_linear(frames.astype(np.float64) / 255.0) * 255.0)


@dataclass(frozen=True)
class DarkFrameTreatment(GammaCorrection):
    """A gamma correction with the further steps of the module docstring (same call: frames -> (frames, gamma)).

    Attributes (beyond GammaCorrection's):
        dual_mild: the milder gamma averaged with the main one (0: no dual gamma).
        dual_weight: weight of the main correction in the average.
        temporal_k: frames of the temporal moving average (1: off).
        spatial_k: side of the spatial filter (1: off).
        spatial_kind: "box" or "gaussian".
        standardise: per-clip standardisation to (mean, std), or None.
        noise_std: read noise added before everything, 8-bit units of linear light (0: off).
        noise_prob: chance that a call adds the noise (1: every clip); clean clips keep the
            normal-light task seen as it is tested.
        correct: apply the gamma step (False: a split that only gets noise augmentation).
    """

    dual_mild: float = 0.0
    dual_weight: float = 0.5
    temporal_k: int = 1
    spatial_k: int = 1
    spatial_kind: str = "box"
    standardise: tuple[float, float] | None = None
    noise_std: float = 0.0
    noise_prob: float = 1.0
    correct: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.spatial_kind not in SPATIAL_KINDS:
            raise ValueError(f"spatial denoising kind must be one of {SPATIAL_KINDS}; got {self.spatial_kind!r}")
        for name, k in (("temporal", self.temporal_k), ("spatial", self.spatial_k)):
            if k < 1 or k % 2 == 0:
                raise ValueError(f"{name} denoising size must be odd and >= 1; got {k}")
        if not 0.0 <= self.noise_prob <= 1.0:
            raise ValueError(f"noise augmentation probability must be in [0, 1]; got {self.noise_prob}")

    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, float]:
        """Treated frames and the (main) gamma used (1.0 without correction)."""
        _check(frames)
        noisy = self.noise_std > 0 and (self.noise_prob >= 1.0 or np.random.random() < self.noise_prob)
        raw = add_linear_noise(frames, self.noise_std) if noisy else frames
        out, gamma = super().__call__(raw) if self.correct else (raw, 1.0)
        floats = None
        if self.correct and self.dual_mild > 0:
            floats = dual_gamma(raw, out, self.dual_mild, self.dual_weight)
        if self.temporal_k > 1:
            floats = temporal_average(out if floats is None else floats, self.temporal_k)
        if self.spatial_k > 1:
            floats = spatial_filter(out if floats is None else floats, self.spatial_k, self.spatial_kind)
        if self.standardise is not None:
            floats = standardise_clip(out if floats is None else floats, *self.standardise)
        return (out if floats is None else _to_uint8(floats)), gamma
