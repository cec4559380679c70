"""Shared test fixtures: where `../shared` is, and small-thread torch for the 2-core machines."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

os.environ.setdefault("OMP_NUM_THREADS", "1")


def tree_digest(root: Path) -> dict:
    """Every path under `root` with its bytes' sha256 (or its link target): equal digests mean untouched."""
    import hashlib

    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                state[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[rel] = "dir"
    return state


def shared_path(*parts: str) -> Path:
    """Path under `../shared`, skipping the calling test (with the reason) where it is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the seed's reference files live in ../shared beside the checkout")
    return path


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    import torch

    torch.set_num_threads(1)
