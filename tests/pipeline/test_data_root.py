"""A --data-root is only read: WORK/data links to it, everything darkvid writes stays in the work directory."""
from pathlib import Path

import pytest

from darkvid.pipeline.data_root import DataRootError, external_root, link_data_root
from tests.conftest import tree_digest

REPO = Path(__file__).resolve().parents[2]


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "Test").mkdir(parents=True)
    (root / "Test" / "1.mp4").write_bytes(b"video")
    (root / "test.csv").write_text("1.mp4\n")
    return root


def test_work_data_links_each_entry_and_writes_land_in_the_work_directory(tmp_path):
    root, work = fake_root(tmp_path), tmp_path / "work"
    before = tree_digest(root)
    link_data_root(work, root)
    data = work / "data"
    assert not data.is_symlink() and sorted(p.name for p in data.iterdir()) == ["Test", "test.csv"]
    assert (data / "Test" / "1.mp4").read_bytes() == b"video" and external_root(work) == root.resolve()
    pseudo = data / "../pseudo/stage1.csv"  # what the stage configs name from DATA.PATH_PREFIX data
    pseudo.parent.mkdir()
    pseudo.write_text("1.mp4,0\n")
    assert (work / "pseudo" / "stage1.csv").is_file()
    (root / "arid.csv").write_text("")  # the root gained a file: the next start links it
    link_data_root(work, None)
    assert (data / "arid.csv").is_symlink()
    assert tree_digest(root) == {**before, "arid.csv": tree_digest(root)["arid.csv"]}


def test_an_older_whole_root_link_becomes_a_folder_of_links(tmp_path):
    root, work = fake_root(tmp_path), tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(root, target_is_directory=True)
    link_data_root(work, None)
    assert not (work / "data").is_symlink() and (work / "data" / "test.csv").is_symlink()


def test_a_root_without_a_dataset_or_a_generated_work_data_is_refused(tmp_path):
    with pytest.raises(DataRootError, match="holds no dataset"):
        link_data_root(tmp_path / "work", tmp_path / "empty")
    assert not (tmp_path / "empty").exists()
    work = tmp_path / "w2"
    (work / "data").mkdir(parents=True)
    (work / "data" / "test.csv").write_text("own\n")
    with pytest.raises(DataRootError, match="files of its own"):
        link_data_root(work, fake_root(tmp_path))
