"""A tiny trained-looking run and a hand-made work directory (configs, checkpoints, a vote yaml)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from darkvid.config import load_config
from darkvid.models import build_model
from tests.datasets.conftest import make_layout

REPO = Path(__file__).resolve().parents[2]
# (vote name, run, views, crops): two networks, one of them tested two ways, as the final vote reads them.
VOTE_MEMBERS = (("a_1x3", "exp_pseudo_stage4/a", 1, 3), ("a_3x3", "exp_pseudo_stage4/a", 3, 3),
                ("b_1x1", "exp_experts/b", 1, 1))


def tiny_run_cfg(data_root: Path, out: Path, *opts: str):
    """The tiny UniFormer preset over `data_root`, writing into `out`."""
    return load_config(REPO / "configs" / "tiny" / "uniformer.yaml", [
        "DATA.PATH_PREFIX", str(data_root), "OUTPUT_DIR", str(out), "TEST.DATA_SELECT", "test",
        "TEST.BATCH_SIZE", "4", "DATA_LOADER.NUM_WORKERS", "0", "TRAIN.CHECKPOINT_FILE_PATH", "", *opts])


def make_run(data_root: Path, out: Path, seed: int):
    """A run folder with a randomly initialised network saved as best.pyth and its config.yaml."""
    cfg = tiny_run_cfg(data_root, out)
    torch.manual_seed(seed)
    model = build_model(cfg)
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"model_state": model.state_dict(), "epoch": 1}, out / "best.pyth")
    (out / "config.yaml").write_text(cfg.dump())
    return cfg


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """The datasets tests' miniature layout (two test videos of 20 frames)."""
    return make_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, data_root) -> Path:
    """One run folder (shared: tests must not modify it)."""
    out = tmp_path_factory.mktemp("run") / "uniformer"
    make_run(data_root, out, seed=0)
    return out


def vote_data(data_root: Path) -> dict:
    """A vote config over VOTE_MEMBERS: two weighted modes with a decision rule, and their vote."""
    return {
        "root": ".", "data_root": str(data_root), "test_csv": "test.csv",
        "predictions": {name: f"{run}/testx8x64x{v}x{c}.pkl" for name, run, v, c in VOTE_MEMBERS},
        "temperature": {"b_1x1": 2.0},
        "rule_sets": {"r": [{"pred": 0, "guard_max": 0.5, "then": [[1, 0.05]]}]},
        "modes": [{"name": "m1", "weights": {"a_1x3": 0.6, "b_1x1": 0.4}, "rules": "r"},
                  {"name": "m2", "weights": {"a_3x3": 0.5, "b_1x1": 0.5}}],
        "vote": ["m1", "m2"], "out_dir": "ensemble/fixed", "out": "ensemble/fixed/submission.csv",
    }


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory, data_root) -> Path:
    """A work directory as the pipeline leaves it, made by hand (shared: tests must not modify it)."""
    work = tmp_path_factory.mktemp("work")
    for seed, run in enumerate(sorted({run for _, run, _, _ in VOTE_MEMBERS})):
        make_run(data_root, work / run, seed=seed + 1)
    (work / "configs").mkdir()
    (work / "configs" / "vote_fixed.yaml").write_text(yaml.safe_dump(vote_data(data_root), sort_keys=False))
    return work
