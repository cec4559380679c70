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
