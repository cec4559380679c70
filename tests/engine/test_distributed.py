import json
import pickle
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from darkvid.engine.distributed import cleanup, init_distributed
from darkvid.engine.tester import run_test
from darkvid.engine.trainer import fit
from darkvid.utils.checkpoint import checkpoint_path
from tests.engine.standins import FakeData, make_cfg

# Deterministic, BN-free work: with the same global batches, DDP's averaged gradients equal the
# single process's full-batch gradients, so weights, metrics and predictions must agree.
OVERRIDES = ("DATA.PSEUDO_CSV", "pseudo.csv", "TRAIN.PSEUDO_STEP", "alternate", "TRAIN.THRESHOLD", "-1",
             "TEST.NUM_ENSEMBLE_VIEWS", "2", "SOLVER.CLIP_GRAD_L2NORM", "1.0")
DATA = dict(videos={"arid": 5, "val_dry": 7}, jitter=False)


def _run(rank: int, world: int, init_method: str, root: str) -> None:
    torch.set_num_threads(1)
    cfg = make_cfg(Path(root), *OVERRIDES)
    init_distributed(cfg, init_method, rank=rank, world_size=world)
    try:
        fit(cfg, data=FakeData(**DATA))
        run_test(cfg, data=FakeData(**DATA))
    finally:
        cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _results(root):
    cfg = make_cfg(root, *OVERRIDES)
    weights = torch.load(checkpoint_path(cfg.OUTPUT_DIR, 2), weights_only=True)["model_state"]
    with (root / "out" / "aridx8x256x2x1.pkl").open("rb") as handle:
        preds = pickle.load(handle)
    evals = [line for line in (root / "out" / "stats.jsonl").read_text().splitlines() if '"eval"' in line]
    return weights, preds, evals


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    _run(0, 1, "", str(tmp_path / "single"))
    mp.spawn(_run, args=(2, f"tcp://127.0.0.1:{_free_port()}", str(tmp_path / "ddp")), nprocs=2, join=True)
    w1, p1, e1 = _results(tmp_path / "single")
    w2, p2, e2 = _results(tmp_path / "ddp")
    for key in w1:
        torch.testing.assert_close(w1[key], w2[key], rtol=1e-5, atol=1e-6)
    assert not torch.equal(w1["head.weight"], torch.load(checkpoint_path(make_cfg(tmp_path / "single").OUTPUT_DIR, 1),
                                                          weights_only=True)["model_state"]["head.weight"])
    torch.testing.assert_close(torch.from_numpy(p1["video_preds"]), torch.from_numpy(p2["video_preds"]),
                               rtol=1e-5, atol=1e-5)
    assert p1["video_labels"].tolist() == p2["video_labels"].tolist() == list(range(5))
    assert len(e1) == len(e2) == 2
    for a, b in zip(e1, e2):
        ra, rb = json.loads(a), json.loads(b)
        assert ra.keys() == rb.keys()
        for key in ra:
            assert ra[key] == pytest.approx(rb[key], abs=1e-6)
