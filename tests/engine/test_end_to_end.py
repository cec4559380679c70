"""Real data path: synthetic micro videos, darkvid.datasets loaders and the tiny registered models."""
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import darkvid.engine.trainer as trainer
from darkvid.config import load_config
from darkvid.engine.tester import run_test
from darkvid.utils.checkpoint import checkpoint_path

REPO = Path(__file__).resolve().parents[2]


class _Killed(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(REPO / "tools" / "make_synthetic_arid.py"), "--root", str(root),
                    "--preset", "micro", "--workers", "1"], check=True, capture_output=True, cwd=REPO)
    rows = []
    for line in (root / "arid.csv").read_text().splitlines():
        path, label = line.split(",")
        probs = np.full(11, 0.02)
        probs[int(label)] = 0.8
        rows.append(",".join([path, label, *(f"{p:.2f}" for p in probs)]))
    (root / "pseudo.csv").write_text("\n".join(rows) + "\n")
    return root


def _cfg(arch, root, out, *extra):
    return load_config(REPO / "configs" / "tiny" / f"{arch}.yaml", [
        "DATA.PATH_PREFIX", str(root), "OUTPUT_DIR", str(out), "SOLVER.MAX_EPOCH", "2", "TRAIN.BATCH_SIZE", "8",
        "TEST.BATCH_SIZE", "6", "TEST.DATA_SELECT", "arid", *extra,
    ])


@pytest.mark.slow
def test_real_loader_resume_matches_uninterrupted(synthetic_root, tmp_path, monkeypatch):
    extra = ("BN.USE_PRECISE_STATS", "True", "BN.NUM_BATCHES_PRECISE", "2", "DATA.PSEUDO_CSV", "pseudo.csv",
             "TRAIN.PSEUDO_STEP", "sum", "DATA.VIDEO_DIR.TRAIN_PSEUDO_LABEL", "ARID_v1.5/clips_v1.5")
    full = _cfg("uniformer", synthetic_root, tmp_path / "full", *extra)
    trainer.fit(full)
    resumed = _cfg("uniformer", synthetic_root, tmp_path / "resumed", *extra)
    original = trainer._end_of_epoch

    def end_then_die(*args, **kwargs):
        original(*args, **kwargs)
        raise _Killed()

    monkeypatch.setattr(trainer, "_end_of_epoch", end_then_die)
    with pytest.raises(_Killed):
        trainer.fit(resumed)
    monkeypatch.setattr(trainer, "_end_of_epoch", original)
    assert trainer.fit(resumed).start_epoch == 2
    a = torch.load(checkpoint_path(full.OUTPUT_DIR, 2), weights_only=True)["model_state"]
    b = torch.load(checkpoint_path(resumed.OUTPUT_DIR, 2), weights_only=True)["model_state"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


@pytest.mark.slow
def test_torchrun_two_processes_train_and_test(synthetic_root, tmp_path):
    out = tmp_path / "ddp"
    args = ["--cfg", str(REPO / "configs" / "tiny" / "mvit.yaml"), "DATA.PATH_PREFIX", str(synthetic_root),
            "OUTPUT_DIR", str(out), "SOLVER.MAX_EPOCH", "1", "SOLVER.WARMUP_EPOCHS", "0.5",
            "TRAIN.BATCH_SIZE", "8", "TEST.BATCH_SIZE", "4",
            "TEST.DATA_SELECT", "arid", "TEST.NUM_SPATIAL_CROPS", "3"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                str(_free_port())]
    subprocess.run([*launcher, str(REPO / "tools" / "run_net.py"), *args], check=True, cwd=REPO, env=env,
                   timeout=300, start_new_session=True)
    with (out / "aridx8x64x1x3.pkl").open("rb") as handle:
        ddp = pickle.load(handle)
    single = _cfg("mvit", synthetic_root, out, "TEST.NUM_SPATIAL_CROPS", "3", "TEST.BATCH_SIZE", "4",
                  "TEST.SAVE_RESULTS_PATH", "single.pkl")
    with (run_test(single)).open("rb") as handle:
        one = pickle.load(handle)
    assert ddp["video_preds"].shape == (11, 11)
    np.testing.assert_allclose(ddp["video_preds"], one["video_preds"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ddp["video_labels"], one["video_labels"])
    csv_labels = [int(line.split(",")[1]) for line in (synthetic_root / "arid.csv").read_text().splitlines()]
    assert ddp["video_labels"].tolist() == csv_labels
