"""The preflight: every video exists, a sample decodes, weights load, the output is writable."""
from __future__ import annotations

import time

import pytest
import torch

from darkvid.config import ConfigError
from darkvid.engine.preflight import preflight_experiment
from darkvid.engine.trainer import fit
from darkvid.models import build_model
from tests.datasets.conftest import write_video
from tests.engine.standins import FakeData, make_cfg


def _problems(cfg, mode="train"):
    return "\n".join(preflight_experiment(cfg, mode))


def test_a_ready_run_has_no_problems(tmp_path):
    assert preflight_experiment(make_cfg(tmp_path), "train") == []


def test_missing_videos_are_named_counted_and_located(tmp_path):
    cfg = make_cfg(tmp_path)
    data = tmp_path / "data"
    (data / "val_dry.csv").write_text("".join(f"v{i}.mp4,1\n" for i in range(8)) + "a.mp4,1\n")
    text = _problems(cfg)
    assert "split 'val_dry': 8 of 9 videos listed in" in text
    assert f"missing from {data / 'dry_run/Validation'} (DATA.VIDEO_DIR.VAL_DRY): v0.mp4, v1.mp4" in text
    assert ", ..." in text and "override" not in text


def test_the_seed_layout_gets_the_video_dir_override(tmp_path):
    cfg = make_cfg(tmp_path)
    data = tmp_path / "data"
    arid_rows = ["Drink/Drink_1_1.mp4", "Jump/Jump_2_3.mp4"]
    (data / "arid.csv").write_text("".join(f"{row},{i}\n" for i, row in enumerate(arid_rows)))
    for row in arid_rows:
        (data / "dark_train/Train" / row).parent.mkdir(parents=True, exist_ok=True)
        (data / "dark_train/Train" / row).write_bytes((data / "Test/a.mp4").read_bytes())
    text = _problems(cfg)
    assert "split 'arid': 2 of 2 videos" in text
    assert "add the override `DATA.VIDEO_DIR.ARID dark_train/Train`" in text
    fixed = make_cfg(tmp_path, "DATA.VIDEO_DIR.ARID", "dark_train/Train")
    assert preflight_experiment(fixed, "train") == []


def test_a_sample_is_decoded(tmp_path):
    cfg = make_cfg(tmp_path, "DATA.PREFLIGHT_DECODE", "2")  # the stand-ins' videos are placeholders
    for folder in ("labeled_train/Train", "dry_run/Validation"):
        write_video(tmp_path / "data" / folder / "a.mp4", num_frames=4)
    text = _problems(cfg)
    assert text.startswith(f"split 'arid': {tmp_path / 'data/ARID_v1.5/clips_v1.5/a.mp4'} does not decode "
                           "(VideoDecodeError: ") and "\n" not in text
    write_video(tmp_path / "data/ARID_v1.5/clips_v1.5/a.mp4", num_frames=4)
    assert preflight_experiment(cfg, "train") == []


def test_starting_weights_must_exist_and_load(tmp_path):
    missing = make_cfg(tmp_path, "TRAIN.CHECKPOINT_FILE_PATH", str(tmp_path / "nope.pyth"))
    assert "TRAIN.CHECKPOINT_FILE_PATH: file not found" in _problems(missing)
    broken = tmp_path / "broken.pyth"
    broken.write_bytes(b"garbage")
    assert "TRAIN.CHECKPOINT_FILE_PATH" in _problems(make_cfg(tmp_path, "TRAIN.CHECKPOINT_FILE_PATH", str(broken)))
    good = tmp_path / "good.pyth"
    cfg = make_cfg(tmp_path, "TRAIN.CHECKPOINT_FILE_PATH", str(good))
    torch.save({"model_state": build_model(cfg).state_dict()}, good)
    assert preflight_experiment(cfg, "train") == []
    assert "TEST.TEST_BEST: file not found" in _problems(cfg, "test")
    assert "holds no checkpoint to test" in _problems(make_cfg(tmp_path, "TEST.TEST_BEST", "False"), "test")
    tested = make_cfg(tmp_path, "TEST.CHECKPOINT_FILE_PATH", str(good))
    assert preflight_experiment(tested, "test") == []


def test_the_output_folder_must_be_writable(tmp_path):
    (tmp_path / "a_file").write_text("")
    cfg = make_cfg(tmp_path, "OUTPUT_DIR", str(tmp_path / "a_file/out"))
    assert f"OUTPUT_DIR {tmp_path / 'a_file/out'}: {tmp_path / 'a_file'} is not a folder" in _problems(cfg)


def test_test_mode_checks_the_extra_views_splits(tmp_path):
    cfg = make_cfg(tmp_path, "TEST.CHECKPOINT_FILE_PATH", str(tmp_path / "w.pyth"), "TEST.EXTRA_VIEWS", "['test:1:1']")
    torch.save({"model_state": build_model(cfg).state_dict()}, tmp_path / "w.pyth")
    (tmp_path / "data/Test/a.mp4").unlink()
    assert "split 'test': 1 of 1 videos" in _problems(cfg, "test")
    with pytest.raises(ValueError, match="mode"):
        preflight_experiment(cfg, "predict")


def test_training_stops_before_its_first_step(tmp_path):
    cfg = make_cfg(tmp_path)
    (tmp_path / "data/labeled_train/Train/a.mp4").unlink()
    with pytest.raises(ConfigError, match=r"split 'train_label': 1 of 1 videos .* a\.mp4"):
        fit(cfg, data=FakeData())
    assert not (tmp_path / "out").exists()


def test_a_full_size_list_is_checked_in_seconds(tmp_path):
    cfg = make_cfg(tmp_path)
    (tmp_path / "data/arid.csv").write_text("".join(f"Drink/Drink_{i}.mp4,0\n" for i in range(9295)))
    start = time.perf_counter()
    text = _problems(cfg)
    assert time.perf_counter() - start < 5
    assert "split 'arid': 9295 of 9295 videos" in text
