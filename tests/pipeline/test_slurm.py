"""Steps submitted as jobs through submitit (its local executor): same outputs, markers and logs."""
from __future__ import annotations

from pathlib import Path

import pytest

from darkvid.pipeline.runner import Runner, StepFailed
from darkvid.pipeline.slurm import (
    ClusterError,
    SlurmWrapper,
    cluster_settings,
    runner_hooks,
    torchrun_launcher,
)
from darkvid.pipeline.step import Command, Step, is_complete

pytest.importorskip("submitit")


def _wrapper(work: Path) -> SlurmWrapper:
    return SlurmWrapper(work, cluster_settings({"backend": "local", "submit_cpu_steps": True, "timeout_min": 5}))


def test_a_step_runs_as_a_local_job_and_completes(tmp_path: Path) -> None:
    step = Step("hello", (Command(("bash", "-c", "echo job-output; echo done > out.txt")),), ("out.txt",))
    Runner(tmp_path, wrap=_wrapper(tmp_path)).run([step])
    assert (tmp_path / "out.txt").read_text().strip() == "done"
    assert is_complete(step, tmp_path)  # the marker's fingerprint is the unwrapped command's
    log = (tmp_path / "logs" / "hello.log").read_text()
    assert "job-output" in log and "submitted hello as job" in log
    assert (tmp_path / "slurm" / "hello").is_dir()


def test_a_failing_job_fails_the_step(tmp_path: Path) -> None:
    step = Step("bad", (Command(("bash", "-c", "echo oops; exit 3")),), ("never.txt",))
    with pytest.raises(StepFailed) as err:
        Runner(tmp_path, wrap=_wrapper(tmp_path)).run([step])
    assert "exit status 3" in str(err.value) and "oops" in err.value.tail()


def test_cpu_steps_stay_local_unless_asked(tmp_path: Path) -> None:
    wrap = SlurmWrapper(tmp_path, cluster_settings({}))
    cmd = Command(("python", "test_ensemble_vote.py"))
    assert wrap(Step("ensemble", (cmd,), ()), cmd) == cmd


def test_a_training_spans_nodes_by_gpus_per_node(tmp_path: Path) -> None:
    wrap = SlurmWrapper(tmp_path, cluster_settings({"gpus_per_node": 4}))
    cmd = Command(("bash", "exp/run.sh", "NUM_GPUS", "8"))
    spec = wrap(Step("train", (cmd,), ()), cmd).argv
    assert '"nodes": 2' in spec[4] and '"gpus": 4' in spec[4] and spec[-4:] == cmd.argv


def test_settings_and_launcher() -> None:
    with pytest.raises(ClusterError, match="parttion"):
        cluster_settings({"parttion": "gpu"})
    with pytest.raises(ClusterError, match="executor"):
        runner_hooks(None, Path("."), "pbs", "preset")
    assert torchrun_launcher(1, 4, "node1", "7") == "torchrun --standalone --nproc_per_node 4"
    assert "--nnodes 2" in torchrun_launcher(2, 4, "node1", "7")
