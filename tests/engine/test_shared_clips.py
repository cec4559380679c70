"""The tester predicts a split's largest views x crops once and aggregates the smaller settings from its clips."""
from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from darkvid.config import load_config
from darkvid.datasets.clip_subsets import ClipSetting, shared_positions
from darkvid.datasets.sampling import FrameSampler
from darkvid.engine import tester
from darkvid.engine.tester import clip_sources, prediction_path, run_test
from darkvid.models import build_model
from darkvid.utils.checkpoint import save_checkpoint
from tests.conftest import REPO_ROOT


def _setting(kind: str, views: int, crops: int, **kw) -> ClipSetting:
    return ClipSetting(FrameSampler(kind, 8, sampling_rate=2, num_views=views, **kw), crops)


def test_uniform_middle_view_and_centre_crop_are_among_three_by_three() -> None:
    big = _setting("uniform", 3, 3)
    assert shared_positions(_setting("uniform", 1, 1), big) == [4]  # view 1 of 3, crop 1 of 3
    assert shared_positions(_setting("uniform", 1, 3), big) == [3, 4, 5]
    assert shared_positions(_setting("uniform", 3, 1), big) == [1, 4, 7]


def test_dense_first_window_and_offset_sampling() -> None:
    assert shared_positions(_setting("dense", 1, 1), _setting("dense", 3, 3)) == [1]  # window 0 of 3
    offset = dict(use_offset=True)
    assert shared_positions(_setting("dense", 1, 1, **offset), _setting("dense", 3, 3, **offset)) == [4]


def test_settings_without_shared_clips_are_refused_or_shared_as_they_are() -> None:
    assert shared_positions(_setting("uniform", 2, 1), _setting("uniform", 3, 3)) is None  # other offsets
    assert shared_positions(_setting("uniform", 1, 2), _setting("uniform", 1, 3)) == [1, 1]  # 2 crops: both centre
    other_frames = ClipSetting(FrameSampler("uniform", 16, num_views=1), 1)
    assert shared_positions(other_frames, _setting("uniform", 3, 3)) is None
    assert shared_positions(_setting("dense", 1, 1), _setting("uniform", 3, 3)) is None


def _tiny_cfg(root, out, *extra):
    return load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml", [
        "DATA.PATH_PREFIX", str(root), "OUTPUT_DIR", str(out), "TRAIN.ENABLE", "False", "TEST.BATCH_SIZE", "5",
        "DATA.PREFLIGHT_DECODE", "0", *extra,
    ])


def test_sources_group_by_split_and_take_the_largest_setting(tmp_path) -> None:
    cfg = _tiny_cfg(tmp_path, tmp_path / "out", "TEST.DATA_SELECT", "test", "TEST.EXTRA_VIEWS",
                    "['arid:1:1', 'test:1:3', 'test:3:3', 'arid:1:3']")
    assert clip_sources(tester.test_views(cfg)) == [(3, [4]), (4, [1]), (3, [3, 4, 5]), (3, None), (4, None)]


@pytest.fixture(scope="module")
def micro_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("micro")
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_synthetic_arid.py"), "--root", str(root),
                    "--preset", "micro", "--workers", "1"], check=True, capture_output=True, cwd=REPO_ROOT)
    return root


def _logits(path):
    with open(path, "rb") as handle:
        return pickle.load(handle)["video_preds"]


def test_aggregated_views_equal_their_own_prediction_runs(micro_root, tmp_path, caplog) -> None:
    weights = tmp_path / "w.pyth"
    torch.manual_seed(0)
    save_checkpoint(weights, model=build_model(_tiny_cfg(micro_root, tmp_path)), epoch=0)
    common = ("TEST.CHECKPOINT_FILE_PATH", str(weights), "TEST.DATA_SELECT", "test")
    together = _tiny_cfg(micro_root, tmp_path / "together", *common, "TEST.NUM_ENSEMBLE_VIEWS", "3",
                         "TEST.NUM_SPATIAL_CROPS", "3", "TEST.EXTRA_VIEWS", "['test:1:1', 'test:1:3']")
    with caplog.at_level(logging.INFO):
        run_test(together)
    assert caplog.text.count("(its clips among the 3x3 ones)") == 2
    for views, crops in ((1, 1), (1, 3)):
        alone = _tiny_cfg(micro_root, tmp_path / f"alone{views}{crops}", *common,
                          "TEST.NUM_ENSEMBLE_VIEWS", str(views), "TEST.NUM_SPATIAL_CROPS", str(crops))
        expected = _logits(run_test(alone))
        got = _logits(tmp_path / "together" / prediction_path(alone).name)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
