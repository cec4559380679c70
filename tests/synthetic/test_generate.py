"""Whole-dataset generation: layout, CSV formats, labels, determinism, reruns and the CLI."""
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from darkvid.synthetic.actions import CLASS_NAMES
from darkvid.synthetic.builder import generate, make_video
from darkvid.synthetic.layout import VideoJob
from darkvid.synthetic.presets import get_preset
from darkvid.synthetic.writer import read_mp4

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("make_synthetic_arid", REPO / "tools" / "make_synthetic_arid.py")
_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tool)
cli_main = _tool.main

TINY = dict(frames=6, train_per_class=1, val_per_class=1, dark_per_class=1, arid_per_class=1, test_per_class=1)
ROW = re.compile(r"^[\w/.+-]+\.mp4,(-1|\d+)$")
VIDEO_DIRS = {  # CSV -> folders its rows must resolve in (the DATA.VIDEO_DIR defaults)
    "train_label+val_dry.csv": ["labeled_train/Train"], "train_label.csv": ["labeled_train/Train"],
    "val_dry.csv": ["dry_run/Validation", "labeled_train/Train"],
    "dark_unlabel.csv": ["dark_train/Train"], "arid.csv": ["ARID_v1.5/clips_v1.5", "dark_train/Train"],
    "total_unlabel.csv": ["dark_train/Train"], "test.csv": ["Test"], "test_labels.csv": ["Test"],
}


def _rows(root: Path, name: str) -> list[tuple[str, int]]:
    lines = (root / name).read_text().splitlines()
    assert all(ROW.match(line) for line in lines), f"{name}: malformed row"
    return [(path, int(label)) for path, label in (line.split(",") for line in lines)]


@pytest.fixture(scope="module")
def micro_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("micro")
    generate(root, get_preset("micro"), seed=0, workers=1, log=lambda _: None)
    return root


def test_micro_layout_and_csvs(micro_root):
    expected = {"train_label+val_dry.csv": 33, "train_label.csv": 22, "val_dry.csv": 11, "dark_unlabel.csv": 11,
                "arid.csv": 11, "total_unlabel.csv": 22, "test.csv": 11, "test_labels.csv": 11}
    for name, count in expected.items():
        rows = _rows(micro_root, name)
        assert len(rows) == count, name
        for folder in VIDEO_DIRS[name]:
            missing = [p for p, _ in rows if not (micro_root / folder / p).is_file()]
            assert not missing, f"{name}: {missing[:3]} missing under {folder}"
    assert all(label == -1 for name in ("dark_unlabel.csv", "total_unlabel.csv", "test.csv")
               for _, label in _rows(micro_root, name))
    assert [p for p, _ in _rows(micro_root, "total_unlabel.csv")] == \
        [p for p, _ in _rows(micro_root, "dark_unlabel.csv") + _rows(micro_root, "arid.csv")]
    assert [p for p, _ in _rows(micro_root, "test.csv")] == [f"{k}.mp4" for k in range(11)]
    held_out = set(_rows(micro_root, "val_dry.csv"))  # train_label.csv is the training part alone
    assert set(_rows(micro_root, "train_label.csv")) == set(_rows(micro_root, "train_label+val_dry.csv")) - held_out
    frames = read_mp4(micro_root / "Test" / "0.mp4")
    assert frames.shape == (16, 48, 64, 3) and frames.dtype == np.uint8
    summary = json.loads((micro_root / "summary.json").read_text())
    assert summary["counts"]["train"] == {c: 2 for c in CLASS_NAMES}
    b = summary["brightness"]
    assert b["dark"] < b["normal"] / 3 and b["dark_gamma"] > 3 * b["dark"]
    low, high = get_preset("micro").exposure  # the camera's exposure range shows in linear light
    assert 0.7 * low < b["linear_ratio"] < 1.3 * high


def test_labels_match_the_rendered_class(micro_root):
    settings = get_preset("micro")
    for path, label in _rows(micro_root, "arid.csv"):
        assert CLASS_NAMES.index(path.split("/")[0]) == label
    labels = dict(_rows(micro_root, "test_labels.csv"))
    assert sorted(labels.values()) == list(range(11))
    for split, folder, name in (("test", "Test", "3.mp4"), ("dark", "dark_train/Train", "5.mp4")):
        true = labels[name] if split == "test" else dict(_rows(micro_root, "dark_unlabel_labels.csv"))[name]
        decoded = read_mp4(micro_root / folder / name).astype(float)
        errors = [np.abs(make_video(VideoJob(split, int(name[:-4]), k, name, ""), settings, 0) - decoded).mean()
                  for k in range(len(CLASS_NAMES))]
        assert int(np.argmin(errors)) == true, (name, errors)


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    settings = get_preset("micro", **TINY)
    roots = [tmp_path / name for name in ("a", "b", "c")]
    generate(roots[0], settings, seed=1, workers=1, log=lambda _: None)
    generate(roots[1], settings, seed=1, workers=2, log=lambda _: None)
    generate(roots[2], settings, seed=2, workers=1, log=lambda _: None)
    for name in ("train_label+val_dry.csv", "arid.csv", "total_unlabel.csv", "test_labels.csv"):
        assert (roots[0] / name).read_bytes() == (roots[1] / name).read_bytes(), name
    for rel in ("labeled_train/Train/syn_walk_0000.mp4", "Test/4.mp4", "ARID_v1.5/clips_v1.5/Sit/Sit_1_1.mp4"):
        np.testing.assert_array_equal(read_mp4(roots[0] / rel), read_mp4(roots[1] / rel))
        assert not np.array_equal(read_mp4(roots[0] / rel), read_mp4(roots[2] / rel))


def test_rerun_does_nothing_resumes_and_refuses_other_settings(tmp_path):
    settings = get_preset("micro", **TINY)
    quiet = dict(workers=1, log=lambda _: None)
    first = generate(tmp_path, settings, seed=0, **quiet)
    video = tmp_path / "Test" / "2.mp4"
    stamp = video.stat().st_mtime_ns
    assert generate(tmp_path, settings, seed=0, **quiet) == first
    assert video.stat().st_mtime_ns == stamp
    with pytest.raises(FileExistsError, match="--force"):
        generate(tmp_path, settings, seed=5, **quiet)
    before = read_mp4(video)
    (tmp_path / "summary.json").unlink()
    (tmp_path / ".synthetic_in_progress.json").write_text(json.dumps(
        {"version": first["version"], "seed": 0, "settings": first["settings"]}))
    video.unlink()  # an interrupted run: this video never finished
    generate(tmp_path, settings, seed=0, **quiet)
    np.testing.assert_array_equal(read_mp4(video), before)
    assert generate(tmp_path, settings, seed=5, force=True, **quiet)["seed"] == 5


def test_cli_writes_a_dataset_and_rejects_bad_knobs(tmp_path, capsys):
    args = ["--root", str(tmp_path / "d"), "--preset", "micro", "--workers", "1", "--frames", "4",
            "--train-per-class", "1", "--val-per-class", "0", "--dark-per-class", "0", "--arid-per-class", "0",
            "--test-per-class", "1", "--exposure", "0.03", "0.03", "--noise", "1.0", "--crf", "30"]
    assert cli_main(args) == 0
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["settings"]["exposure"] == [0.03, 0.03] and summary["settings"]["crf"] == 30
    assert "mean brightness" in capsys.readouterr().out
    assert cli_main(["--root", str(tmp_path / "e"), "--preset", "micro", "--width", "63"]) == 2
    assert "even" in capsys.readouterr().err
