"""The GPU pool: each concurrent step sees only its own GPUs, and waits when too few are free."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from darkvid.pipeline.gpus import GpuPool, command_gpus, step_gpus, visible_gpus
from darkvid.pipeline.runner import Runner
from darkvid.pipeline.step import Command, Step


def _train(work: Path, name: str, gpus: int) -> Step:
    """A stand-in training: a run.sh that records the GPUs it was given."""
    script = work / name / "run.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"echo $CUDA_VISIBLE_DEVICES > {name}.txt; sleep 0.3\n")
    return Step(name, (Command(("bash", str(script), "NUM_GPUS", str(gpus))),), (f"{name}.txt",))


def test_command_gpus_reads_the_last_num_gpus_override() -> None:
    cmd = Command(("bash", "exp_adapt_bn/x/run.sh", "NUM_GPUS", "4", "DATA.PATH_PREFIX", "data", "NUM_GPUS", "2"))
    assert command_gpus(cmd) == 2
    assert command_gpus(Command(("python", "test_ensemble_vote.py"))) == 0


def test_step_gpus_resolves_the_experiment_config_without_override() -> None:
    repo = Path(__file__).resolve().parents[2]
    step = Step("adapt", (Command(("bash", str(repo / "exp_adapt_bn/mvit_b32_k600/run.sh"))),), ())
    assert step_gpus(step) == 4  # configs/gpu/_common.yaml, the seed's 4 GPUs


def test_visible_gpus_follow_cuda_visible_devices() -> None:
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,3, 5"}) == ["2", "3", "5"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []


def test_pool_waits_until_enough_gpus_are_free() -> None:
    pool = GpuPool([str(i) for i in range(8)])
    first = pool.acquire(4)
    second = pool.acquire(4)
    assert sorted(first + second) == [str(i) for i in range(8)] and not set(first) & set(second)
    got: list[list[str]] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire(2)))
    waiter.start()
    time.sleep(0.2)
    assert not got  # nothing free: the third step waits
    pool.release(second)
    waiter.join(timeout=5)
    assert got and set(got[0]) <= set(second)


def test_pool_gives_a_too_large_request_every_gpu() -> None:
    pool = GpuPool(["0", "1"])
    assert pool.acquire(4) == ["0", "1"]


def test_runner_gives_two_concurrent_trainings_disjoint_gpus(tmp_path: Path) -> None:
    steps = [_train(tmp_path, name, 4) for name in "abc"]
    Runner(tmp_path, jobs=2, gpus=GpuPool([str(i) for i in range(8)])).run(steps)
    seen = [(tmp_path / f"{n}.txt").read_text().strip().split(",") for n in "abc"]
    assert all(len(s) == 4 for s in seen)
    assert not set(seen[0]) & set(seen[1])


def test_shared_cards_never_give_one_step_the_same_gpu_twice() -> None:
    pool = GpuPool(["0", "1"], steps_per_gpu=2)
    assert pool.acquire(2) == ["0", "1"]
    assert pool.acquire(1) == ["0"]
    assert pool.acquire(1) == ["1"]
    pool.release(["0"])
    assert pool.free == ["0"]
