"""tools/prepare_data.py on a fake download: the seed's real file names, the organisers' formats.

The fake download holds a sample of each split of ../shared/seed_data (three videos per class, five
dark and test clips) as tiny videos, the organisers' lists with their header and a mapping table;
ARID v1.5 sits in its own folder. Counts are checked against the sample's own (`--expect`).
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import pytest

from darkvid.config import get_cfg
from tests.conftest import REPO_ROOT, shared_path, tree_digest
from tests.datasets.conftest import write_video

PER_CLASS, FLAT = 3, 5
ORGANISER_HEADER = "VideoID,Video,ClassID"


def _load_tool():
    spec = importlib.util.spec_from_file_location("prepare_data", REPO_ROOT / "tools/prepare_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _load_tool()


def _rows(path: Path) -> List[tuple]:
    return [(p, int(label)) for p, label in (line.split(",")[:2] for line in path.read_text().splitlines())]


def _per_class(rows: List[tuple]) -> List[tuple]:
    taken: Dict[int, int] = defaultdict(int)
    sample = []
    for path, label in rows:
        if taken[label] < PER_CLASS:
            taken[label] += 1
            sample.append((path, label))
    return sample


@pytest.fixture(scope="module")
def sample() -> Dict[str, List[tuple]]:
    """The sample of each split, in the seed's formats (train = the rows before the dry-run ones)."""
    seed = shared_path("seed_data")
    val = _rows(seed / "val_dry.csv")
    val_names = {p for p, _ in val}
    train = [r for r in _rows(seed / "train_label+val_dry.csv") if r[0] not in val_names]
    return {
        "train": _per_class(train), "val": _per_class(val), "arid": _per_class(_rows(seed / "arid.csv")),
        "dark": _rows(seed / "dark_unlabel.csv")[:FLAT], "test": _rows(seed / "test.csv")[:FLAT],
    }


def _organiser_list(path: Path, rows: List[tuple], labelled: bool) -> None:
    header = ORGANISER_HEADER if labelled else ORGANISER_HEADER.rsplit(",", 1)[0]
    body = [f"{i},{name}" + (f",{label}" if labelled else "") for i, (name, label) in enumerate(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *body]) + "\n")


@pytest.fixture
def fake(tmp_path, sample) -> Dict[str, Path]:
    """A fake download, ARID folder and seed-list folder, and the --expect options of the sample."""
    video = write_video(tmp_path / "tiny.mp4", num_frames=4)
    download, arid, seed = tmp_path / "download", tmp_path / "arid", tmp_path / "seed"
    folders = {"train": "labeled_train/Train", "val": "dry_run/Validation", "dark": "dark_train/Train", "test": "Test"}
    for key, folder in folders.items():
        for name, _ in sample[key]:
            (download / folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(video, download / folder / name)
    for name, _ in sample["arid"]:
        (arid / "ARID_v1.5/clips_v1.5" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(video, arid / "ARID_v1.5/clips_v1.5" / name)
    lists = download / "lists"
    _organiser_list(lists / "ug2_2022_train_labeled.csv", sample["train"], labelled=True)
    _organiser_list(lists / "hmdb_validate_public.csv", sample["val"], labelled=False)  # public: no ClassID
    _organiser_list(lists / "ug2_2022_train_dark.csv", sample["dark"], labelled=False)
    names = get_cfg().DATA.CLASS_NAMES
    (lists / "mapping_table_t2.txt").write_text("".join(f"{i}\t{n}\n" for i, n in enumerate(names)))
    seed.mkdir()
    for name, rows in (("val_dry.csv", sample["val"]), ("arid.csv", sample["arid"])):
        (seed / name).write_text("".join(f"{p},{label}\n" for p, label in rows))
    counts = {"train_label.csv": len(sample["train"]), "val_dry.csv": len(sample["val"]),
              "train_label+val_dry.csv": len(sample["train"]) + len(sample["val"]),
              "dark_unlabel.csv": FLAT, "arid.csv": len(sample["arid"]), "test.csv": FLAT,
              "total_unlabel.csv": FLAT + len(sample["arid"])}
    expect = [arg for name, n in counts.items() for arg in ("--expect", f"{name}={n}")]
    return {"download": download, "arid": arid, "seed": seed, "out": tmp_path / "data", "expect": expect}


def _run(fake, *extra: str, capsys=None) -> tuple:
    argv = ["--download", str(fake["download"]), "--arid", str(fake["arid"]), "--seed-lists", str(fake["seed"]),
            "--output", str(fake["out"]), *fake["expect"], *extra]
    status = TOOL.main(argv)
    return status, capsys.readouterr().out if capsys else ""


def test_clean_download_builds_the_layout_and_the_seven_csvs(fake, sample, capsys):
    before = tree_digest(fake["download"]), tree_digest(fake["arid"])
    status, out = _run(fake, capsys=capsys)
    assert status == 0, out
    assert "OK" in out
    out_dir = fake["out"]
    assert _rows(out_dir / "val_dry.csv") == sample["val"]  # labels from the seed's list
    assert _rows(out_dir / "train_label+val_dry.csv") == sample["train"] + sample["val"]
    assert _rows(out_dir / "arid.csv") == sample["arid"]
    assert _rows(out_dir / "total_unlabel.csv") == [(p, -1) for p, _ in sample["dark"] + sample["arid"]]
    assert _rows(out_dir / "test.csv") == sample["test"]
    cfg = get_cfg()
    for csv_key, dir_key in (("TRAIN_LABEL", "TRAIN_LABEL"), ("VAL_DRY", "VAL_DRY"), ("ARID", "ARID"),
                             ("TOTAL_UNLABEL", "TOTAL_UNLABEL"), ("TEST", "TEST")):
        for path, _ in _rows(out_dir / cfg.DATA.SPLIT_CSV[csv_key]):
            video = out_dir / cfg.DATA.VIDEO_DIR[dir_key] / path
            assert video.is_symlink() and video.is_file(), video
    assert (tree_digest(fake["download"]), tree_digest(fake["arid"])) == before


def test_the_full_counts_are_checked(fake, capsys):
    fake["expect"] = []
    status, out = _run(fake, capsys=capsys)
    assert status == 1
    assert "arid.csv: 33 rows, expected 6207" in out
    assert not fake["out"].exists()


def test_missing_video_is_named_and_nothing_is_written(fake, sample, capsys):
    name = sample["train"][4][0]
    (fake["download"] / "labeled_train/Train" / name).unlink()
    before = tree_digest(fake["download"])
    status, out = _run(fake, capsys=capsys)
    assert status == 1
    assert f"train: 1 of {len(sample['train'])} videos listed" in out and name in out
    assert "labeled_train/Train" in out
    assert not fake["out"].exists()
    assert tree_digest(fake["download"]) == before


def test_a_gap_in_the_numbered_test_clips_is_named(fake, capsys):
    (fake["download"] / "Test/2.mp4").unlink()
    status, out = _run(fake, capsys=capsys)
    assert status == 1
    assert f"test: 1 numbers missing from {fake['download'] / 'Test'} (no list names its videos): 2.mp4" in out


def test_unlisted_and_duplicate_videos_are_reported(fake, sample, capsys):
    shutil.copyfile(fake["download"] / "Test/0.mp4", fake["download"] / "dark_train/Train/9999.mp4")
    dark_list = fake["download"] / "lists/ug2_2022_train_dark.csv"
    dark_list.write_text(dark_list.read_text() + f"99,{sample['dark'][1][0]}\n")
    status, out = _run(fake, capsys=capsys)
    assert status == 1
    assert "dark: 1 videos in" in out and "9999.mp4" in out
    assert f"dark: 1 videos listed more than once in {dark_list}: {sample['dark'][1][0]}" in out


def test_class_order_other_than_the_config_fails(fake, capsys):
    table = fake["download"] / "lists/mapping_table_t2.txt"
    names = [line.split("\t")[1] for line in table.read_text().splitlines()]
    names[0], names[1] = names[1], names[0]
    table.write_text("".join(f"{i}\t{n}\n" for i, n in enumerate(names)))
    status, out = _run(fake, capsys=capsys)
    assert status == 1
    assert "another order than DATA.CLASS_NAMES" in out


def test_rerun_changes_nothing(fake, capsys):
    assert _run(fake, capsys=capsys)[0] == 0
    first = tree_digest(fake["out"])
    status, out = _run(fake, capsys=capsys)
    assert status == 0
    assert "links: 0 made" in out and "CSVs written: none" in out
    assert tree_digest(fake["out"]) == first


def test_a_differing_csv_needs_force(fake, capsys):
    assert _run(fake, capsys=capsys)[0] == 0
    edited = fake["out"] / "test.csv"
    edited.write_text("0.mp4,-1\n")
    status, out = _run(fake, capsys=capsys)
    assert status == 1 and "--force replaces it" in out
    assert edited.read_text() == "0.mp4,-1\n"
    assert _run(fake, "--force", capsys=capsys)[0] == 0
    assert len(edited.read_text().splitlines()) == FLAT


def test_output_inside_the_download_is_refused(fake):
    fake["out"] = fake["download"] / "data"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools/prepare_data.py"), "--download",
                           str(fake["download"]), "--arid", str(fake["arid"]), "--output", str(fake["out"])],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "never writes there" in proc.stderr
    assert not fake["out"].exists()
