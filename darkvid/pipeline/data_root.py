"""WORK/data: the dataset as the experiment configs see it, without ever writing into a user's data root.

Without --data-root, WORK/data is a folder the synthetic generator fills (the work directory's own).
With --data-root, WORK/data is a folder of links, one per top-level entry of the data root: reads go
through to the dataset, while everything darkvid writes (pseudo labels, caches, generated configs,
predictions) lands in the work directory, so two work directories can share one read-only root.
Configs reach the work directory's pseudo labels as `../pseudo/stageN.csv` from DATA.PATH_PREFIX `data`.
"""
from __future__ import annotations

from pathlib import Path

DATA = "data"
PSEUDO_DIR = "pseudo"
ROOT_NOTE = ".data_root"  # in the work directory: the data root that WORK/data links to
# the split CSVs every run reads (the labelled list, dry run, ARID, the dark pool, the test set)
SPLIT_CSVS = ("train_label+val_dry.csv", "val_dry.csv", "arid.csv", "total_unlabel.csv", "test.csv")


class DataRootError(ValueError):
    """A --data-root the pipeline cannot use as it is; the message says why and what to do."""


def holds_dataset(root: Path) -> bool:
    """True when `root` has any of the split CSVs: real data, or a synthetic set of any settings."""
    return any((root / name).is_file() for name in SPLIT_CSVS)


def external_root(work: Path) -> Path | None:
    """The data root WORK/data links to, or None when WORK/data is the work directory's own."""
    note = work / ROOT_NOTE
    return Path(note.read_text().strip()) if note.is_file() else None


def link_data_root(work: Path, data_root: Path | None) -> None:
    """Make WORK/data the dataset: a folder of links to `data_root` (or the one linked before), else a folder.

    A WORK/data that is a link to a whole root (older work directories) becomes a folder of links.

    Raises:
        DataRootError: `data_root` holds no dataset, or WORK/data holds files of its own.
    """
    data = work / DATA
    if data_root is None and data.is_symlink():
        data_root = data.resolve()
    if data_root is None:
        data_root = external_root(work)
    if data_root is None:
        data.mkdir(parents=True, exist_ok=True)
        return
    root = data_root.resolve()
    if not holds_dataset(root):
        raise DataRootError(
            f"--data-root {root} holds no dataset (none of {', '.join(SPLIT_CSVS)}): lay it out as DATASET.md "
            f"says, make a synthetic one with `python tools/make_synthetic_arid.py --root {root} --preset micro`, "
            "or drop --data-root to generate one inside the work directory")
    if data.is_symlink():
        data.unlink()
    elif data.is_dir() and any(not p.is_symlink() for p in data.iterdir()):
        raise DataRootError(f"{data} holds files of its own (a generated dataset?); use another --work-dir "
                            "or drop --data-root")
    data.mkdir(parents=True, exist_ok=True)
    _sync_links(data, root)
    (work / ROOT_NOTE).write_text(f"{root}\n")


def _sync_links(data: Path, root: Path) -> None:
    """One link per entry of `root`; links to anything else are removed."""
    wanted = {entry.name: entry for entry in root.iterdir()}
    for link in data.iterdir():
        if link.name not in wanted or Path(link.readlink()) != wanted[link.name]:
            link.unlink()
    for name, target in wanted.items():
        if not (data / name).is_symlink():
            (data / name).symlink_to(target, target_is_directory=target.is_dir())
