"""Decoded uint8 frames [T, H, W, 3] -> a normalised clip [C, T, H, W] for the model."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

import numpy as np
import torch

from .augment import ClipRandAugment, ClipRandomErasing
from .spatial import (
    horizontal_flip,
    random_crop,
    random_short_side_scale,
    resize,
    resized_crop_box,
    short_side_resize,
    uniform_crop,
)


def uint8_view(frames: np.ndarray) -> torch.Tensor:
    """uint8 [T, H, W, 3] seen as [T, 3, H, W] without a copy (channels-last in memory)."""
    # Resizing in channels-last memory is faster than in channels-first and gives the same values.
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)


def to_float_frames(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [T, H, W, 3] (or its `uint8_view`) -> float [T, 3, H, W] in [0, 1]."""
    view = uint8_view(frames) if isinstance(frames, np.ndarray) else frames
    return view.float().div_(255.0)


def finish_clip(frames: torch.Tensor, mean: Sequence[float], std: Sequence[float], bgr: bool) -> torch.Tensor:
    """Normalise float frames [T, 3, H, W] and lay them out as [C, T, H, W] (BGR if asked).

    The frames are first copied into the output layout and then normalised in place there: one
    pass over contiguous memory instead of arithmetic on a strided crop.
    """
    clip = torch.empty((frames.shape[1], frames.shape[0], *frames.shape[2:]), dtype=frames.dtype)
    clip.copy_(frames.permute(1, 0, 2, 3))
    clip.sub_(torch.as_tensor(mean, dtype=clip.dtype).view(-1, 1, 1, 1))
    clip.div_(torch.as_tensor(std, dtype=clip.dtype).view(-1, 1, 1, 1))
    return clip.flip(0) if bgr else clip


@dataclass
class TrainTransform:
    """Random spatial augmentation of a training clip, identical over its frames.

    Attributes:
        crop_size: output side (DATA.TRAIN_CROP_SIZE).
        jitter_scales: short-side range of the scale jitter (DATA.TRAIN_JITTER_SCALES).
        relative_scales: area range of a random-resized crop instead of jitter + crop; empty = off.
        relative_aspect: aspect range of the random-resized crop.
        inverse_uniform: draw the jitter scale uniformly in 1 / scale.
        flip: random horizontal flip.
        mean, std: per-channel normalisation of [0, 1] pixels.
        bgr: reverse the channel order at the end.
        rand_augment: RandAugment on the uint8 frames, or None.
        erasing: random erasing of the normalised clip, or None.
    """

    crop_size: int
    jitter_scales: Tuple[int, int]
    relative_scales: Sequence[float] = ()
    relative_aspect: Sequence[float] = ()
    inverse_uniform: bool = False
    flip: bool = True
    mean: Sequence[float] = (0.45, 0.45, 0.45)
    std: Sequence[float] = (0.225, 0.225, 0.225)
    bgr: bool = False
    rand_augment: Optional[ClipRandAugment] = None
    erasing: Optional[ClipRandomErasing] = None

    def __call__(self, frames: np.ndarray, rng: Any = random) -> torch.Tensor:
        """One augmented clip [C, T, crop, crop] from uint8 frames [T, H, W, 3]."""
        if self.rand_augment is not None:
            frames = self.rand_augment(frames)
        clip = uint8_view(frames)
        if self.relative_scales:
            # Cropping before the float conversion converts only the box; the values are the same.
            aspect = self.relative_aspect or (3.0 / 4.0, 4.0 / 3.0)
            top, left, height, width = resized_crop_box(*clip.shape[-2:], self.relative_scales, aspect, rng)
            box = to_float_frames(clip[..., top:top + height, left:left + width])
            clip = resize(box, self.crop_size, self.crop_size)
        else:
            clip = to_float_frames(clip)
            low, high = self.jitter_scales
            clip = random_short_side_scale(clip, low, high, self.inverse_uniform, rng)
            clip = random_crop(clip, self.crop_size, rng)
        if self.flip and rng.random() < 0.5:
            clip = horizontal_flip(clip)
        if self.erasing is None:
            return finish_clip(clip, self.mean, self.std, self.bgr)
        # Erasing sees the normalised RGB clip as [T, C, H, W], as before the layout change.
        clip = self.erasing(finish_clip(clip, self.mean, self.std, False).permute(1, 0, 2, 3))
        if self.bgr:
            clip = clip.flip(1)
        return clip.permute(1, 0, 2, 3).contiguous()


@dataclass
class EvalTransform:
    """Deterministic test crop: short side to `crop_size`, then crop 0/1/2 (left/centre/right).

    Attributes:
        crop_size: short side and crop side (DATA.TEST_CROP_SIZE).
        mean, std: per-channel normalisation of [0, 1] pixels.
        bgr: reverse the channel order at the end.
    """

    crop_size: int
    mean: Sequence[float] = (0.45, 0.45, 0.45)
    std: Sequence[float] = (0.225, 0.225, 0.225)
    bgr: bool = False

    def __call__(self, frames: np.ndarray, spatial_index: int = 1) -> torch.Tensor:
        """Clip [C, T, crop, crop]; spatial_index 1 is the centre crop."""
        clip = short_side_resize(to_float_frames(frames), self.crop_size)
        clip = uniform_crop(clip, self.crop_size, spatial_index)
        return finish_clip(clip, self.mean, self.std, self.bgr)
