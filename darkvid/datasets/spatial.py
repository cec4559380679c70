"""Spatial operations on a clip held as float frames [T, C, H, W] (PySlowFast's conventions).

Every operation acts identically on all frames of the clip; random ones draw from `rng` (the
`random` module by default, seeded per loader worker).
"""
from __future__ import annotations

import math
import random
from typing import Any, Sequence, Tuple

import torch
import torch.nn.functional as F


def resize(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear resize of every frame (no anti-aliasing, as PySlowFast)."""
    if frames.shape[-2:] == (height, width):
        return frames
    return F.interpolate(frames, size=(height, width), mode="bilinear", align_corners=False)


def short_side_size(height: int, width: int, size: int) -> Tuple[int, int]:
    """(height, width) with the short side at `size` and the long side scaled down to an integer."""
    if width <= height:
        return int(math.floor(height / width * size)), size
    return size, int(math.floor(width / height * size))


def short_side_resize(frames: torch.Tensor, size: int) -> torch.Tensor:
    """Scale the clip so that its short side is `size`."""
    return resize(frames, *short_side_size(frames.shape[-2], frames.shape[-1], size))


def random_short_side_scale(
    frames: torch.Tensor, min_size: int, max_size: int, inverse_uniform: bool = False, rng: Any = random
) -> torch.Tensor:
    """Scale jitter: short side drawn in [min_size, max_size] (uniform in 1/size if inverse)."""
    if inverse_uniform:
        size = int(round(1.0 / rng.uniform(1.0 / max_size, 1.0 / min_size)))
    else:
        size = int(round(rng.uniform(min_size, max_size)))
    return short_side_resize(frames, size)


def random_crop(frames: torch.Tensor, size: int, rng: Any = random) -> torch.Tensor:
    """A `size` x `size` crop at a random position (the clip must be at least that large)."""
    height, width = frames.shape[-2:]
    top = rng.randint(0, max(height - size, 0))
    left = rng.randint(0, max(width - size, 0))
    return frames[..., top:top + size, left:left + size]


def test_crop_index(crop: int, num_crops: int) -> int:
    """The `uniform_crop` index of test crop `crop`: three crops are 0/1/2, any other count the centre."""
    return crop if num_crops == 3 else 1


test_crop_index.__test__ = False  # not a pytest test, whatever its name


def uniform_crop(frames: torch.Tensor, size: int, spatial_index: int) -> torch.Tensor:
    """Crop 0, 1 or 2: left/centre/right of a landscape clip, top/middle/bottom of a portrait one."""
    if spatial_index not in (0, 1, 2):
        raise ValueError(f"spatial crop index must be 0, 1 or 2; got {spatial_index}")
    height, width = frames.shape[-2:]
    top = int(math.ceil((height - size) / 2))
    left = int(math.ceil((width - size) / 2))
    if height > width:
        top = (0, top, height - size)[spatial_index]
    else:
        left = (0, left, width - size)[spatial_index]
    return frames[..., top:top + size, left:left + size]


def random_resized_crop(
    frames: torch.Tensor, size: int, scale: Sequence[float], ratio: Sequence[float], rng: Any = random
) -> torch.Tensor:
    """Crop a random area fraction `scale` and aspect ratio `ratio` of the clip, resized to `size`."""
    height, width = frames.shape[-2:]
    top, left, crop_h, crop_w = resized_crop_box(height, width, scale, ratio, rng)
    return resize(frames[..., top:top + crop_h, left:left + crop_w], size, size)


def resized_crop_box(
    height: int, width: int, scale: Sequence[float], ratio: Sequence[float], rng: Any = random
) -> Tuple[int, int, int, int]:
    """(top, left, height, width) of `random_resized_crop`'s box, drawn from `rng`."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = rng.uniform(scale[0], scale[1]) * area
        aspect = math.exp(rng.uniform(*log_ratio))
        crop_w = int(round(math.sqrt(target * aspect)))
        crop_h = int(round(math.sqrt(target / aspect)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            return rng.randint(0, height - crop_h), rng.randint(0, width - crop_w), crop_h, crop_w
    # No draw fitted: fall back to the largest centred box within the ratio range.
    in_ratio = width / height
    if in_ratio < min(ratio):
        crop_w, crop_h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        crop_w, crop_h = int(round(height * max(ratio))), height
    else:
        crop_w, crop_h = width, height
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def horizontal_flip(frames: torch.Tensor) -> torch.Tensor:
    """Mirror every frame left to right."""
    return frames.flip(-1)
