"""One run applied to new videos: the tester's numbers, bad files in a folder, short clips, inputs."""
from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from darkvid.engine.tester import run_test
from darkvid.ensemble.combine import softmax
from darkvid.inference import Predictor, expand_inputs, paths_of
from darkvid.inference.cli import predict_main
from tests.datasets.conftest import write_video

from .conftest import tiny_run_cfg


@pytest.mark.parametrize("views, crops", [(1, 3), (3, 3)])
def test_probabilities_match_the_tester(run_dir, data_root, tmp_path, views, crops):
    cfg = tiny_run_cfg(data_root, tmp_path / "tested", "TEST.NUM_ENSEMBLE_VIEWS", str(views),
                       "TEST.NUM_SPATIAL_CROPS", str(crops), "TEST.CHECKPOINT_FILE_PATH", str(run_dir / "best.pyth"))
    with open(run_test(cfg), "rb") as handle:
        expected = softmax(pickle.load(handle)["video_preds"])
    predictor = Predictor.from_model(run_dir, views=views, crops=crops, topk=11, device="cpu")
    # A batch of 4 clips splits the videos' clips across forward passes.
    rows = list(predictor.rows(paths_of([str(data_root / "test.csv")], num_classes=11, video_dir=data_root / "Test"),
                               workers=0, batch_size=4))
    assert [r["path"] for r in rows] == [str(data_root / "Test" / n) for n in ("0.mp4", "1.mp4")]
    for row, probs in zip(rows, expected):
        got = {item["class"]: item["probability"] for item in row["top"]}
        np.testing.assert_allclose([got[name] for name in predictor.classes], probs, atol=2e-6)
        assert row["error"] == "" and row["gamma"] == cfg.DATA.GAMMA and row["frames"] == 20


def test_a_folder_with_bad_files_still_predicts_the_others(run_dir, data_root, tmp_path):
    folder = tmp_path / "clips"
    shutil.copy(data_root / "Test" / "0.mp4", folder.mkdir() or folder / "good.mp4")
    write_video(folder / "sub" / "short.mp4", num_frames=3)
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "corrupt.mp4").write_bytes(np.random.default_rng(0).bytes(2000))
    (folder / "notes.txt").write_text("not a video")
    out = tmp_path / "rows.json"
    status = predict_main(["--model", str(run_dir), str(folder), str(tmp_path / "missing.mp4"), "--out", str(out),
                           "--workers", "2", "--views", "1", "--crops", "1", "--device", "cpu"])
    rows = {row["path"].rsplit("/", 1)[-1]: row for row in json.loads(out.read_text())}
    assert status == 1
    assert sorted(rows) == ["corrupt.mp4", "empty.mp4", "good.mp4", "missing.mp4", "short.mp4"]
    assert "empty" in rows["empty.mp4"]["error"] and "empty.mp4" in rows["empty.mp4"]["error"]
    assert "corrupt.mp4" in rows["corrupt.mp4"]["error"] and not rows["corrupt.mp4"]["top"]
    assert "not found" in rows["missing.mp4"]["error"]
    # 3 frames for an 8-frame clip: the sampler repeats frames; the row says how many there were.
    assert rows["short.mp4"]["error"] == "" and rows["short.mp4"]["frames"] == 3
    assert rows["good.mp4"]["error"] == "" and len(rows["good.mp4"]["top"]) == 3
    assert 0 < rows["good.mp4"]["brightness"] < 1


def test_all_good_rows_exit_zero_and_write_csv(run_dir, data_root, tmp_path):
    out = tmp_path / "rows.csv"
    status = predict_main(["--model", str(run_dir / "best.pyth"), "--cfg", str(run_dir / "config.yaml"),
                           str(data_root / "Test" / "*.mp4"), "--out", str(out), "--workers", "0",
                           "--topk", "2", "--gamma", "none", "--device", "cpu"])
    lines = out.read_text().splitlines()
    assert status == 0
    assert lines[0] == "path,top1,prob1,top2,prob2,brightness,gamma,frames,error"
    assert len(lines) == 3 and all(line.split(",")[6] == "" for line in lines[1:])  # no gamma applied


def test_adaptive_gamma_is_measured_per_video(run_dir, data_root):
    predictor = Predictor.from_model(run_dir, views=1, crops=1, gamma="auto", device="cpu")
    row = next(predictor.rows(paths_of([str(data_root / "Test" / "0.mp4")], num_classes=11), workers=0))
    assert 0.1 <= row["gamma"] <= 1.0 and row["gamma"] != predictor.members[0].cfg.DATA.GAMMA


def test_inputs_expand_folders_globs_and_split_csvs(data_root, tmp_path):
    (tmp_path / "list.csv").write_text("0.mp4,-1\n1.mp4,3\n")
    found = list(expand_inputs([str(data_root / "Test"), str(data_root / "dry_run" / "*" / "*.mp4"),
                                str(tmp_path / "list.csv"), str(tmp_path / "absent.avi")],
                               num_classes=11, video_dir=data_root / "Test"))
    test = [data_root / "Test" / "0.mp4", data_root / "Test" / "1.mp4"]
    dry = [data_root / "dry_run" / "Validation" / f"v{i}.mp4" for i in range(2)]
    assert found == [*test, *dry, *test, tmp_path / "absent.avi"]
