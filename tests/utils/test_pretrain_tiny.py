"""tools/pretrain_tiny.sh: a two-part recipe trains its second part from the first part's best weights."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_part_run_continues_from_its_first_part_and_exports_a_note(tmp_path):
    work, dest = tmp_path / "work", tmp_path / "weights"
    shipped = REPO / "pretrained" / "tiny" / "mvit.pyth"
    shipped_bytes = shipped.read_bytes()
    env = dict(os.environ, PYTHON=sys.executable, MODELS="mvit", EPOCHS="1", WARMUP="0.5", PRESET="micro",
               DATA_SEED="5", DEST=str(dest), NUM_GPUS="0", GEN_WORKERS="1", PARALLEL="0", OMP_NUM_THREADS="1")
    result = subprocess.run(["bash", str(REPO / "tools" / "pretrain_tiny.sh"), str(work)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    part1 = work / "mvit_part1" / "best.pyth"
    assert part1.is_file()
    assert f"initialised from {part1}" in (work / "mvit.log").read_text()
    exported = torch.load(dest / "mvit.pyth", weights_only=True)
    assert exported["source"].endswith("1 epochs, lr 2e-4, seed 0, then 1 epochs at lr 5e-4 from its best weights")
    first = torch.load(part1, weights_only=True)["model_state"]
    changed = [k for k, v in exported["model_state"].items() if v.is_floating_point() and not torch.equal(v, first[k])]
    assert changed, "the second part did not train"
    assert shipped.read_bytes() == shipped_bytes, "DEST was ignored: the shipped weights were overwritten"
