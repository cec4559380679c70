"""--check: each step's preflight alone, in the work directory, before anything runs."""
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from darkvid.pipeline.check import StepCheck, check_step, experiment_of, print_checks
from darkvid.pipeline.data_root import link_data_root
from darkvid.pipeline.graph import build_plan
from darkvid.pipeline.presets import REPO, load_preset
from darkvid.pipeline.step import Command
from tests.conftest import tree_digest


@pytest.fixture(scope="module")
def micro_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("micro") / "root"
    subprocess.run([sys.executable, str(REPO / "tools" / "make_synthetic_arid.py"), "--root", str(root), "--preset",
                    "micro", "--workers", "1"], check=True, capture_output=True)
    return root


def test_only_experiment_scripts_are_read_as_runs():
    run = Command(("bash", str(REPO / "exp_adapt_bn/sf32_k700/run.sh"), "DATA.PATH_PREFIX", "data"))
    assert experiment_of(run) == ("exp_adapt_bn/sf32_k700", "train", ["DATA.PATH_PREFIX", "data"])
    assert experiment_of(Command(("bash", str(REPO / "exp_adapt_bn/sf32_k700/test.sh"))))[1] == "test"
    assert experiment_of(Command((sys.executable, "tools/score.py"))) is None


def test_a_missing_video_is_a_problem_and_later_inputs_are_waited_for(micro_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(micro_root, root, symlinks=True)
    gone = min((root / "Test").iterdir())
    gone.unlink()
    work = tmp_path / "work"
    link_data_root(work, root)
    (work / "pretrained").mkdir()
    (work / "pretrained" / "tiny").symlink_to(REPO / "pretrained" / "tiny")  # as run_pipeline.py links them
    before = tree_digest(root)
    steps = {s.name: s for s in build_plan(load_preset("micro"), work)}
    producers = {out: s.name for s in steps.values() if s.commands for out in s.outputs}
    adapt = check_step(steps["adapt_bn.sf32_k700"], work, producers, "tiny")
    assert len(adapt.problems) == 1 and gone.name in adapt.problems[0] and "'test'" in adapt.problems[0]
    stage = check_step(steps["stage1.sf32_k700"], work, producers, "tiny")
    assert {"pseudo1", "adapt_bn.sf32_k700"} <= set(stage.waits)
    assert tree_digest(root) == before and not (work / "exp_adapt_bn").exists()  # checking writes nothing


def test_the_summary_counts_problems():
    stream = io.StringIO()
    checks = [StepCheck("data", checked=True), StepCheck("a", ["split 'test': 1 missing\nmore"], checked=True),
              StepCheck("b", waits=["a"], checked=True), StepCheck("report")]
    assert print_checks(checks, stream) == 1
    lines = stream.getvalue().splitlines()
    assert lines[0].split() == ["ok", "data"] and lines[1].split() == ["PROBLEM", "a"]
    assert "inputs made by a" in lines[4] and lines[-1] == "1 problem(s) in 1 step(s)"
