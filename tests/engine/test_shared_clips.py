"""The tester predicts a split's largest views x crops once and aggregates the smaller settings from its clips;
a split whose videos are the same files as another's (ARID within the pseudo-label pool) takes their clips."""
from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from darkvid.config import load_config
from darkvid.datasets.clip_subsets import ClipSetting, file_keys, same_files, shared_positions
from darkvid.datasets.sampling import FrameSampler
from darkvid.engine import tester
from darkvid.engine.tester import ClipSource, clip_sources, prediction_path, run_test
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


def test_same_files_follow_links_and_never_match_by_name_or_content(tmp_path) -> None:
    pool, other = tmp_path / "pool", tmp_path / "other"
    pool.mkdir()
    other.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (pool / name).write_bytes(name.encode())
    os.link(pool / "b.mp4", other / "b.mp4")  # a hard link, as the synthetic set lays ARID out
    (other / "c.mp4").symlink_to(pool / "c.mp4")  # a symbolic link, as tools/prepare_data.py does
    shutil.copy(pool / "a.mp4", other / "a.mp4")  # the same bytes, another file
    large = file_keys([pool / "a.mp4", pool / "b.mp4", pool / "c.mp4"])
    assert same_files(file_keys([other / "c.mp4", other / "b.mp4"]), large) == [2, 1]
    assert same_files(file_keys([other / "a.mp4"]), large) is None
    assert file_keys([other / "b.mp4", other / "missing.mp4"]) is None  # the split is then predicted itself
    assert same_files([], large) == []


def test_sources_group_by_split_and_take_the_largest_setting(tmp_path) -> None:
    cfg = _tiny_cfg(tmp_path, tmp_path / "out", "TEST.DATA_SELECT", "test", "TEST.EXTRA_VIEWS",
                    "['arid:1:1', 'test:1:3', 'test:3:3', 'arid:1:3']")
    assert clip_sources(tester.test_views(cfg)) == [
        ClipSource(3, [4]), ClipSource(4, [1]), ClipSource(3, [3, 4, 5]), ClipSource(3), ClipSource(4)]


@pytest.fixture(scope="module")
def micro_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("micro")
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_synthetic_arid.py"), "--root", str(root),
                    "--preset", "micro", "--workers", "1"], check=True, capture_output=True, cwd=REPO_ROOT)
    return root


def _table(path):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _logits(path):
    return _table(path)["video_preds"]


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


def _shared_weights(micro_root, tmp_path):
    weights = tmp_path / "w.pyth"
    torch.manual_seed(0)
    save_checkpoint(weights, model=build_model(_tiny_cfg(micro_root, tmp_path)), epoch=0)
    return ("TEST.CHECKPOINT_FILE_PATH", str(weights))


def test_arid_is_taken_from_the_pool_it_is_part_of(micro_root, tmp_path, caplog) -> None:
    weights = _shared_weights(micro_root, tmp_path)
    together = _tiny_cfg(micro_root, tmp_path / "together", *weights, "TEST.DATA_SELECT", "total_unlabel",
                         "TEST.EXTRA_VIEWS", "['arid:1:1', 'test:1:1']")
    with caplog.at_level(logging.INFO):
        run_test(together)
    assert caplog.text.count("the same files' clips among total_unlabel's 1x1 ones") == 1  # arid; test is apart
    alone = _tiny_cfg(micro_root, tmp_path / "alone", *weights, "TEST.DATA_SELECT", "arid")
    expected = _table(run_test(alone))
    got = _table(tmp_path / "together" / prediction_path(alone).name)
    assert got["video_ids"] == expected["video_ids"]
    np.testing.assert_array_equal(got["video_labels"], expected["video_labels"])  # ARID's labels, not the pool's -1
    assert (got["video_labels"] >= 0).all()
    np.testing.assert_allclose(got["video_preds"], expected["video_preds"], rtol=1e-5, atol=1e-5)
    assert got["meta"]["split"] == "arid"


@pytest.mark.parametrize("change", ["copied_files", "other_treatment"])
def test_arid_is_predicted_itself_unless_the_files_and_treatment_are_the_same(micro_root, tmp_path, caplog,
                                                                              change) -> None:
    root, extra = micro_root, []
    if change == "copied_files":  # the same bytes under the pool's folder, but not the same files
        root = tmp_path / "copied"
        shutil.copytree(micro_root, root, copy_function=shutil.copy)
    else:  # the pool gamma-corrected, ARID not: different clips from the same files
        extra = ["DATA.GAMMA_SPLITS", "['total_unlabel']"]
    weights = _shared_weights(micro_root, tmp_path)
    cfg = _tiny_cfg(root, tmp_path / "out", *weights, "TEST.DATA_SELECT", "total_unlabel",
                    "TEST.EXTRA_VIEWS", "['arid:1:1']", *extra)
    with caplog.at_level(logging.INFO):
        run_test(cfg)
    assert "tested" in caplog.text and "the same files' clips" not in caplog.text
