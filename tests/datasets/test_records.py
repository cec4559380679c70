"""Split CSV parsing: the formats, the errors, and the seed's real split files."""
from pathlib import Path

import numpy as np
import pytest

from darkvid.datasets.records import SplitFileError, read_split_csv
from tests.conftest import shared_path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "split.csv"
    path.write_text(text)
    return path


def test_path_label_rows_join_the_video_folder(tmp_path):
    csv = _write(tmp_path, "a.mp4,0\n\nsub/b.avi,10\n")
    records = read_split_csv(csv, Path("/videos"), num_classes=11, allow_unlabelled=False)
    assert [(r.rel_path, r.label, r.probs) for r in records] == [("a.mp4", 0, None), ("sub/b.avi", 10, None)]
    assert records[1].path == Path("/videos/sub/b.avi")


def test_pseudo_rows_carry_float32_probs(tmp_path):
    csv = _write(tmp_path, "3.mp4,2,0.1,0.2,0.7\n")
    (record,) = read_split_csv(csv, tmp_path, num_classes=3, allow_unlabelled=False, with_probs=True)
    assert record.label == 2 and record.probs.dtype == np.float32
    np.testing.assert_allclose(record.probs, [0.1, 0.2, 0.7])


@pytest.mark.parametrize(
    "text, unlabelled, probs, message",
    [
        ("a.mp4,0\nb.mp4\n", False, False, ":2: expected 2 columns, got 1"),
        ("a.mp4,0,0.5\n", False, False, ":1: expected 2 columns, got 3"),
        ("a.mp4,11\n", False, False, ":1: label 11 is outside [0, 11)"),
        ("a.mp4,-1\n", False, False, ":1: label -1 is outside [0, 11)"),
        ("a.mp4,-2\n", True, False, ":1: label -2 is outside [0, 11) or -1"),
        ("a.mp4,x\n", False, False, ":1: label 'x' is not an integer"),
        ("a.mp4,1," + ",".join(["0.1"] * 10) + "\n", False, True, ":1: expected 13 columns, got 12"),
        ("a.mp4,1,abc" + ",0.1" * 10 + "\n", False, True, ":1: class probabilities must be numbers"),
        ("a.mp4,1,nan" + ",0.1" * 10 + "\n", False, True, ":1: class probabilities must be finite"),
        ("\n", False, False, "no rows"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, text, unlabelled, probs, message):
    csv = _write(tmp_path, text)
    with pytest.raises(SplitFileError) as err:
        read_split_csv(csv, tmp_path, num_classes=11, allow_unlabelled=unlabelled, with_probs=probs)
    assert str(csv) in str(err.value) and message in str(err.value)


def test_unlabelled_rows_read_as_minus_one(tmp_path):
    csv = _write(tmp_path, "0.mp4,-1\n1.mp4,4\n")
    records = read_split_csv(csv, tmp_path, num_classes=11, allow_unlabelled=True)
    assert [r.label for r in records] == [-1, 4]


@pytest.mark.parametrize(
    "name, rows, unlabelled, labels",
    [
        ("train_label+val_dry.csv", 2955, False, set(range(11))),
        ("val_dry.csv", 330, False, set(range(11))),
        ("arid.csv", 6207, False, set(range(11))),
        ("dark_unlabel.csv", 3088, True, {-1}),
        ("total_unlabel.csv", 9295, True, {-1}),
        ("test.csv", 3103, True, {-1}),
    ],
)
def test_the_seed_split_files(name, rows, unlabelled, labels):
    csv = shared_path("seed_data", name)
    records = read_split_csv(csv, Path("root"), num_classes=11, allow_unlabelled=unlabelled)
    assert len(records) == rows
    assert {r.label for r in records} == labels


@pytest.mark.parametrize("stage, rows", [(1, 4484), (2, 7051), (3, 8712), (4, 9295)])
def test_the_seed_pseudo_label_files(stage, rows):
    csv = shared_path("seed_data", "pseudo", f"stage{stage}.csv")
    records = read_split_csv(csv, Path("root"), num_classes=11, allow_unlabelled=False, with_probs=True)
    assert len(records) == rows
    probs = np.stack([r.probs for r in records])
    assert probs.shape == (rows, 11)
    assert probs.min() >= 0 and probs.sum(axis=1).max() <= 1 + 1e-4
    assert all(r.label == int(np.argmax(r.probs)) for r in records[:200])


def test_split_list_write_read_round_trip_and_duplicates(tmp_path):
    from darkvid.datasets.records import read_split_list, write_split_csv

    probs = np.array([[0.25, 0.75], [1.0, 0.0]])
    path = write_split_csv(tmp_path / "p.csv", ["a.mp4", "b/c.mp4"], [1, 0], num_classes=2, probs=probs)
    assert path.read_text() == "a.mp4,1,0.25,0.75\nb/c.mp4,0,1.0,0.0\n"
    back = read_split_list(path, num_classes=2, with_probs=True)
    assert back.paths == ("a.mp4", "b/c.mp4") and back.labels.tolist() == [1, 0]
    np.testing.assert_allclose(back.probs, probs)
    (tmp_path / "d.csv").write_text("a.mp4,0\n\nb.mp4,1\na.mp4,1\n")
    with pytest.raises(SplitFileError, match=r"d.csv:4: video 'a.mp4' is listed again \(first on line 1\)"):
        read_split_list(tmp_path / "d.csv", num_classes=2)
    with pytest.raises(SplitFileError, match=r"row 1 \('x,y'\): a video path must be"):
        write_split_csv(tmp_path / "e.csv", ["x,y"], [0], num_classes=2)
    with pytest.raises(SplitFileError, match=r"row 2 \('b'\): label 5 is outside"):
        write_split_csv(tmp_path / "e.csv", ["a", "b"], [0, 5], num_classes=2)
    assert not (tmp_path / "e.csv").exists()
