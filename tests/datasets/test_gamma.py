"""Gamma correction: the lookup table, the adaptive choice and the per-clip wrapper."""
import math

import numpy as np
import pytest
import torch
from torchvision.transforms.functional import adjust_gamma

from darkvid.datasets.gamma import GammaCorrection, adaptive_gamma, apply_gamma, gamma_lut


@pytest.mark.parametrize("gamma", [0.25, 0.45, 1.0, 2.5])
def test_table_matches_torchvision_adjust_gamma_the_seed_called(gamma):
    levels = torch.arange(256, dtype=torch.uint8).view(1, 1, 256).expand(3, 1, 256)
    expected = adjust_gamma(levels, gamma)[0, 0].numpy()
    np.testing.assert_array_equal(gamma_lut(gamma), expected)


def test_formula_and_shape():
    frames = np.random.default_rng(0).integers(0, 256, (2, 4, 5, 3), dtype=np.uint8)
    out = apply_gamma(frames, 0.25)
    assert out.shape == frames.shape and out.dtype == np.uint8
    exact = 255 * (frames / 255.0) ** 0.25
    assert np.abs(out - exact).max() < 1.0
    assert apply_gamma(np.array([0, 16, 255], np.uint8), 0.25).tolist() == [0, 128, 255]


def test_adaptive_gamma_reaches_the_target_mean():
    frames = np.full((4, 8, 8, 3), 13, np.uint8)  # mean 0.051
    gamma = adaptive_gamma(frames, 0.4)
    assert gamma == pytest.approx(math.log(0.4) / math.log(13 / 255))
    assert apply_gamma(frames, gamma).mean() / 255 == pytest.approx(0.4, abs=0.01)


def test_adaptive_gamma_is_clipped_for_black_and_bright_clips():
    assert adaptive_gamma(np.zeros((1, 2, 2, 3), np.uint8), 0.4, (0.2, 1.0)) == 0.2
    assert adaptive_gamma(np.full((1, 2, 2, 3), 250, np.uint8), 0.4, (0.1, 1.0)) == 1.0


def test_correction_modes():
    frames = np.full((1, 2, 2, 3), 13, np.uint8)
    out, gamma = GammaCorrection("fixed", 0.25)(frames)
    assert gamma == 0.25 and out[0, 0, 0, 0] == gamma_lut(0.25)[13]
    _, adaptive = GammaCorrection("adaptive", target_mean=0.4)(frames)
    assert 0.25 < adaptive < 0.35
    with pytest.raises(ValueError, match="gamma mode"):
        GammaCorrection("off")
    with pytest.raises(TypeError, match="uint8"):
        apply_gamma(frames.astype(np.float32), 0.5)


@pytest.mark.parametrize("shape", [(3, 7, 9, 3), (5,), (2, 3), (0, 4, 4, 3)])
def test_fast_lookup_equals_indexing_the_table_for_any_layout(shape):
    frames = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(apply_gamma(frames, 0.45), gamma_lut(0.45)[frames])
    strided = np.random.default_rng(2).integers(0, 256, (2, 8, 6, 3), dtype=np.uint8)[:, ::2, 1:]
    np.testing.assert_array_equal(apply_gamma(strided, 0.25), gamma_lut(0.25)[strided])
