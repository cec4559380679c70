"""Dark-frame treatments: the numbers of each function and the chained treatment."""
import numpy as np
import pytest

from darkvid.datasets.darkframe import (
    DarkFrameTreatment,
    add_linear_noise,
    dual_gamma,
    estimate_noise_std,
    linear_noise_std,
    spatial_filter,
    standardise_clip,
    temporal_average,
)
from darkvid.datasets.gamma import GammaCorrection, apply_gamma


def _dark_clip(seed=0, shape=(8, 24, 32, 3)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 40, size=shape, dtype=np.uint8)


def test_temporal_average_keeps_a_constant_clip_and_averages_centred():
    constant = np.full((6, 4, 5, 3), 37, np.uint8)
    assert np.array_equal(temporal_average(constant, 3), constant.astype(np.float32))
    ramp = np.arange(5, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 1), np.uint8) * 10
    out = temporal_average(ramp, 3)[:, 0, 0, 0]
    assert out.tolist() == pytest.approx([10 / 3, 10, 20, 30, 110 / 3])  # edges repeat the end frames
    assert np.array_equal(temporal_average(ramp, 1), ramp.astype(np.float32))
    with pytest.raises(ValueError, match="odd"):
        temporal_average(ramp, 2)


def test_temporal_average_divides_noise_by_root_k():
    rng = np.random.default_rng(1)
    noisy = np.clip(128 + rng.normal(0, 8, (64, 32, 32, 1)), 0, 255).astype(np.uint8)
    smoothed = temporal_average(noisy, 5)[2:-2]
    assert smoothed.std() == pytest.approx(noisy.std() / np.sqrt(5), rel=0.1)


def test_spatial_filters_keep_constants_and_reduce_noise():
    constant = np.full((2, 9, 9, 3), 80, np.uint8)
    for kind in ("box", "gaussian"):
        assert np.allclose(spatial_filter(constant, 3, kind), 80)
    rng = np.random.default_rng(2)
    noisy = np.clip(128 + rng.normal(0, 10, (2, 64, 64, 3)), 0, 255).astype(np.uint8)
    assert spatial_filter(noisy, 3, "box").std() == pytest.approx(noisy.std() / 3, rel=0.1)
    assert spatial_filter(noisy, 5, "gaussian").std() < 0.6 * noisy.std()
    with pytest.raises(ValueError, match="kind"):
        spatial_filter(noisy, 3, "median")


def test_standardised_clip_has_the_target_mean_and_std_per_channel():
    clip = _dark_clip()
    clip[..., 1] //= 4  # channels of different brightness and contrast
    out = standardise_clip(clip, 0.45, 0.1)
    for c in range(3):
        assert out[..., c].mean() == pytest.approx(0.45 * 255, abs=0.01)
        assert out[..., c].std() == pytest.approx(0.1 * 255, rel=1e-3)
    flat = standardise_clip(np.full((2, 3, 3, 3), 5, np.uint8), 0.45, 0.1)
    assert np.allclose(flat, 0.45 * 255)  # a constant clip becomes the target mean, not NaN


def test_dual_gamma_is_the_weighted_mean_of_two_corrections():
    clip = _dark_clip(3)
    bright = apply_gamma(clip, 0.25)
    out = dual_gamma(clip, bright, 0.5, 0.5)
    expected = 0.5 * bright.astype(np.float32) + 0.5 * apply_gamma(clip, 0.5).astype(np.float32)
    assert np.array_equal(out, expected)
    assert np.array_equal(dual_gamma(clip, bright, 0.5, 1.0), bright.astype(np.float32))
    with pytest.raises(ValueError, match="weight"):
        dual_gamma(clip, bright, 0.5, 1.5)


@pytest.mark.parametrize("std", [2.0, 5.0, 12.0])
def test_noise_estimate_within_10_percent_on_32x64x64_frames(std):
    rng = np.random.default_rng(int(std))
    scene = rng.uniform(40, 200, size=(1, 64, 64, 1))  # a textured still background
    frames = scene + rng.normal(0, std, size=(32, 64, 64, 1))
    frames[:, 20:30, 20:40] += np.arange(32)[:, None, None, None] * 3.0  # a moving patch
    assert estimate_noise_std(frames) == pytest.approx(std, rel=0.1)


def test_linear_noise_is_measured_back_in_linear_light():
    clip = np.full((32, 64, 64, 3), 150, np.uint8)
    noisy = add_linear_noise(clip, 6.0, np.random.default_rng(4))
    assert noisy.dtype == np.uint8 and noisy.shape == clip.shape
    assert linear_noise_std(noisy) == pytest.approx(6.0, rel=0.1)
    assert np.array_equal(add_linear_noise(clip, 0.0), clip)


def test_treatment_with_every_step_off_is_the_plain_gamma_correction():
    clip = _dark_clip(5)
    for mode in ("fixed", "adaptive"):
        plain, treated = GammaCorrection(mode), DarkFrameTreatment(mode)
        (a, ga), (b, gb) = plain(clip), treated(clip)
        assert np.array_equal(a, b) and ga == gb


def test_treatment_chains_the_configured_steps():
    clip = _dark_clip(6)
    treat = DarkFrameTreatment("fixed", 0.25, dual_mild=0.5, temporal_k=3, spatial_k=3,
                               standardise=(0.45, 0.225))
    out, gamma = treat(clip)
    floats = dual_gamma(clip, apply_gamma(clip, 0.25), 0.5, 0.5)
    floats = standardise_clip(spatial_filter(temporal_average(floats, 3), 3), 0.45, 0.225)
    assert gamma == 0.25 and out.dtype == np.uint8
    assert np.array_equal(out, np.clip(np.rint(floats), 0, 255).astype(np.uint8))
    noise_only, g = DarkFrameTreatment("fixed", 1.0, noise_std=3.0, correct=False)(clip)
    assert g == 1.0 and not np.array_equal(noise_only, clip)
    with pytest.raises(ValueError, match="odd"):
        DarkFrameTreatment(temporal_k=4)


def test_noise_probability_leaves_the_other_clips_clean():
    clip = _dark_clip(6)
    half = DarkFrameTreatment("fixed", 1.0, noise_std=3.0, noise_prob=0.5, correct=False)
    np.random.seed(0)
    clean = [np.array_equal(half(clip)[0], clip) for _ in range(200)]
    assert 70 <= sum(clean) <= 130  # binomial(200, 0.5): outside this range with p < 1e-4
    never = DarkFrameTreatment("fixed", 1.0, noise_std=3.0, noise_prob=0.0, correct=False)
    assert all(np.array_equal(never(clip)[0], clip) for _ in range(20))
    with pytest.raises(ValueError, match="probability"):
        DarkFrameTreatment(noise_std=3.0, noise_prob=1.5)
