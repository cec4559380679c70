"""Shared test fixtures: where `../shared` is, and small-thread torch for the 2-core machines."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

os.environ.setdefault("OMP_NUM_THREADS", "1")


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
