"""tools/measure_noise.py's numbers: dark clips are noisier for their brightness, and the suggestion matches them."""
from __future__ import annotations

import subprocess
import sys

import pytest

from darkvid.config import load_config
from darkvid.datasets.noise_level import NoiseLevel, measure_split, suggested_noise_aug
from tests.conftest import REPO_ROOT


def test_suggestion_matches_the_dark_ratio_minus_the_noise_already_there() -> None:
    dark = [NoiseLevel("a", 5, mean=2.0, noise_std=1.0), NoiseLevel("b", 5, mean=4.0, noise_std=1.0)]
    normal = NoiseLevel("n", 5, mean=100.0, noise_std=6.0)
    ratio = (0.5 + 0.25) / 2  # median of the two dark ratios
    assert suggested_noise_aug(dark, normal) == pytest.approx((ratio ** 2 * 100.0 ** 2 - 36.0) ** 0.5)
    quiet = [NoiseLevel("c", 5, mean=100.0, noise_std=1.0)]
    assert suggested_noise_aug(quiet, normal) == 0.0  # normal clips already noisier: add nothing


@pytest.mark.parametrize("noise", ["0.15", "6.0"])
def test_dark_synthetic_clips_are_noisier_for_their_brightness(tmp_path, noise) -> None:
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_synthetic_arid.py"), "--root", str(tmp_path),
                    "--preset", "micro", "--workers", "1", "--noise", noise], check=True, capture_output=True)
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml", ["DATA.PATH_PREFIX", str(tmp_path)])
    dark = measure_split(cfg, "total_unlabel", 8)
    normal = measure_split(cfg, "train_label", 8)
    assert dark.videos == 8 and normal.videos == 8
    assert dark.mean < normal.mean / 10  # exposure 0.7-2% of normal light
    assert dark.ratio > normal.ratio
    assert suggested_noise_aug([dark], normal) > 0


def test_measured_level_is_the_tools_number_kept_in_the_cache_and_reaches_the_training_clips(
        tmp_path, monkeypatch) -> None:
    from darkvid.datasets import noise_level
    from darkvid.datasets.build import split_gamma

    data = tmp_path / "data"
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_synthetic_arid.py"), "--root", str(data),
                    "--preset", "micro", "--workers", "1"], check=True, capture_output=True)
    cache = tmp_path / "cache"
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml",
                      ["DATA.PATH_PREFIX", str(data), "DATA.CACHE_DIR", str(cache), "DATA.NOISE_AUG_MEASURE", "True",
                       "DATA.NOISE_AUG_MEASURE_VIDEOS", "6", "DATA.NOISE_AUG_STD", "99.0"])
    fixed = load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml", ["DATA.PATH_PREFIX", str(data)])
    expected = suggested_noise_aug([measure_split(fixed, "total_unlabel", 6)], measure_split(fixed, "train_label", 6))
    assert expected > 0
    assert noise_level.noise_aug_std(cfg) == pytest.approx(expected)  # NOISE_AUG_STD 99 is not used
    stored = list(cache.glob("noise_aug_*.json"))
    assert len(stored) == 1
    # A new process (the in-process memo cleared) reads the stored level instead of decoding again.
    monkeypatch.setattr(noise_level, "_MEASURED", {})
    monkeypatch.setattr(noise_level, "measure_split", lambda *a: pytest.fail("measured again"))
    treatment = split_gamma(cfg, "train_label")
    assert treatment.noise_std == pytest.approx(expected)
    assert getattr(split_gamma(cfg, "arid"), "noise_std", 0.0) == 0.0  # dark splits get no noise
    stored[0].write_text("{}")
    monkeypatch.setattr(noise_level, "_MEASURED", {})
    with pytest.raises(ValueError, match="noise_aug_.*json: not a noise measurement"):
        noise_level.noise_aug_std(cfg)
    off = load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml", ["DATA.NOISE_AUG_STD", "3.5"])
    assert noise_level.noise_aug_std(off) == 3.5
