"""Spatial transforms and clip-consistent augmentation."""
import random

import numpy as np
import pytest
import torch

from darkvid.datasets.augment import ClipRandAugment, ClipRandomErasing
from darkvid.datasets.spatial import (
    random_resized_crop,
    short_side_resize,
    short_side_size,
    uniform_crop,
)
from darkvid.datasets.transforms import EvalTransform, TrainTransform


def _columns(width: int, height: int = 4, frames: int = 2) -> torch.Tensor:
    """Float frames [T, 3, H, W] whose value is the column index."""
    return torch.arange(width, dtype=torch.float32).expand(frames, 3, height, width).clone()


def test_short_side_size_floors_the_long_side():
    assert short_side_size(240, 320, 256) == (256, 341)
    assert short_side_size(320, 240, 256) == (341, 256)
    assert short_side_resize(torch.zeros(2, 3, 48, 64), 32).shape == (2, 3, 32, 42)


def test_uniform_crops_are_left_centre_right_or_top_middle_bottom():
    wide = _columns(10)
    assert [uniform_crop(wide, 4, i)[0, 0, 0, 0].item() for i in range(3)] == [0, 3, 6]
    tall = _columns(10, height=4).transpose(-1, -2).contiguous()
    assert [uniform_crop(tall, 4, i)[0, 0, 0, 0].item() for i in range(3)] == [0, 3, 6]


def test_random_resized_crop_has_the_size_and_keeps_frames_aligned():
    clip = torch.rand(1, 3, 30, 40).expand(3, 3, 30, 40)
    out = random_resized_crop(clip, 16, (0.2, 0.5), (0.75, 1.33), random.Random(0))
    assert out.shape == (3, 3, 16, 16)
    assert torch.equal(out[0], out[2])


def test_train_transform_shape_normalisation_and_flip_consistency():
    frames = np.zeros((4, 48, 64, 3), np.uint8)
    frames[:, :, :32] = 255  # left half white
    transform = TrainTransform(crop_size=48, jitter_scales=(48, 48), mean=(0.5,) * 3, std=(0.5,) * 3)
    seen = set()
    for seed in range(12):
        clip = transform(frames, random.Random(seed))
        assert clip.shape == (3, 4, 48, 48)
        assert set(clip.unique().tolist()) <= {-1.0, 1.0}
        assert torch.equal(clip[:, 0], clip[:, 3])  # every frame cropped and flipped alike
        seen.add(clip[0, 0, 0, 0].item())
    assert seen == {-1.0, 1.0}  # both flips happened


def test_eval_transform_centre_crop_and_bgr():
    frames = np.zeros((2, 48, 64, 3), np.uint8)
    frames[..., 0] = 255
    clip = EvalTransform(32, mean=(0, 0, 0), std=(1, 1, 1), bgr=True)(frames, 1)
    assert clip.shape == (3, 2, 32, 32)
    assert clip[2].eq(1).all() and clip[0].eq(0).all()


def test_rand_augment_applies_the_same_ops_to_every_frame():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    clip = np.stack([frame] * 4)
    augment = ClipRandAugment("rand-m9-mstd0.5-inc1", "bicubic")
    changed = 0
    for seed in range(5):
        random.seed(seed)
        np.random.seed(seed)
        out = augment(clip)
        assert out.shape == clip.shape and out.dtype == np.uint8
        assert all(np.array_equal(out[0], out[t]) for t in range(4))
        changed += not np.array_equal(out[0], frame)
    assert changed >= 3
    with pytest.raises(ValueError, match="AA_TYPE"):
        ClipRandAugment("v0")


def test_random_erasing_uses_one_box_for_the_whole_clip():
    random.seed(3)
    clip = torch.ones(4, 3, 32, 32)
    out = ClipRandomErasing(1.0, mode="const", count=1)(clip)
    erased = out.eq(0)
    assert erased.any()
    assert all(torch.equal(erased[0], erased[t]) for t in range(4))


def _reference_train_clip(frames, transform, rng):
    """The training transform as first written: float frames, resize/crop, flip, normalise, layout."""
    clip = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous().float().div(255.0)
    if transform.relative_scales:
        clip = random_resized_crop(clip, transform.crop_size, transform.relative_scales, transform.relative_aspect, rng)
    else:
        clip = short_side_resize(clip, round(rng.uniform(*transform.jitter_scales)))
        height, width = clip.shape[-2:]
        top = rng.randint(0, max(height - transform.crop_size, 0))
        left = rng.randint(0, max(width - transform.crop_size, 0))
        clip = clip[..., top:top + transform.crop_size, left:left + transform.crop_size]
    if transform.flip and rng.random() < 0.5:
        clip = clip.flip(-1)
    mean = torch.tensor(transform.mean).view(1, 3, 1, 1)
    std = torch.tensor(transform.std).view(1, 3, 1, 1)
    clip = (clip - mean) / std
    if transform.bgr:
        clip = clip.flip(1)
    return clip.permute(1, 0, 2, 3).contiguous()


@pytest.mark.parametrize("relative", [False, True])
@pytest.mark.parametrize("bgr", [False, True])
def test_fast_train_transform_gives_the_reference_values(relative, bgr):
    frames = np.random.default_rng(1).integers(0, 256, (3, 60, 80, 3), dtype=np.uint8)
    transform = TrainTransform(
        crop_size=32, jitter_scales=(36, 52), relative_scales=(0.2, 1.0) if relative else (),
        relative_aspect=(0.75, 1.33) if relative else (), mean=(0.4, 0.45, 0.5), std=(0.2, 0.25, 0.3), bgr=bgr,
    )
    for seed in range(6):
        got = transform(frames, random.Random(seed))
        expected = _reference_train_clip(frames, transform, random.Random(seed))
        assert got.is_contiguous() and got.shape == (3, 3, 32, 32)
        assert torch.equal(got, expected)


def test_eval_transform_gives_the_reference_values():
    frames = np.random.default_rng(2).integers(0, 256, (2, 48, 64, 3), dtype=np.uint8)
    clip = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous().float().div(255.0)
    for crop in range(3):
        expected = (uniform_crop(short_side_resize(clip, 32), 32, crop) - 0.45) / 0.225
        got = EvalTransform(32)(frames, crop)
        assert torch.equal(got, expected.permute(1, 0, 2, 3))


def test_random_erasing_in_the_transform_erases_whole_frames_alike():
    frames = np.full((4, 40, 40, 3), 128, np.uint8)
    transform = TrainTransform(crop_size=32, jitter_scales=(40, 40), erasing=ClipRandomErasing(1.0, "const"))
    random.seed(0)
    clip = transform(frames, random.Random(0))
    erased = clip.eq(0).all(dim=0)  # [T, H, W]: const mode fills every channel with 0
    assert clip.shape == (3, 4, 32, 32) and erased.any()
    assert all(torch.equal(erased[0], erased[t]) for t in range(4))
