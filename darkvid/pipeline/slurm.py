"""Run each pipeline step's commands as a cluster job through submitit (`--executor slurm`).

The runner still runs one local process per command, so fingerprints, markers, resume and
WORK/logs/<step>.log are those of a local run: that process is `python -m darkvid.pipeline.slurm`,
which submits the command as a job, copies the job's output to its own as it grows, and exits with
the command's exit status (a stopped runner cancels the job). Training commands that need more than
one GPU start under torchrun (one task per node, one process per GPU). Settings come from the
preset's `cluster:` section; `--executor local` keeps everything in local processes.

    cluster:
      partition: gpu          # sbatch --partition (empty: the cluster's default)
      timeout_min: 1440       # sbatch --time, minutes
      gpus_per_node: 8        # GPUs of one node; a step needing more spans several nodes
      cpus_per_gpu: 8         # sbatch --cpus-per-task = this x the GPUs used on a node
      mem_gb: 0               # sbatch --mem (0: the cluster's default)
      submit_cpu_steps: false # also submit the steps that need no GPU (pseudo labels, vote, report)
      extra: {}               # more sbatch settings, e.g. {account: proj, qos: normal}
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from .gpus import GpuPool, step_gpus, visible_gpus
from .step import Command, Step

EXECUTORS = ("local", "slurm")
_DEFAULTS = {"partition": "", "timeout_min": 1440, "gpus_per_node": 8, "cpus_per_gpu": 8, "mem_gb": 0,
             "submit_cpu_steps": False, "extra": {}, "backend": "slurm"}
POLL_S = 2.0


class ClusterError(ValueError):
    """A `cluster:` setting that cannot be used; the message names the key."""


def cluster_settings(raw: Optional[dict[str, Any]], source: str = "preset") -> dict[str, Any]:
    """The preset's `cluster:` section with defaults filled in; unknown keys are errors."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(_DEFAULTS))
    if unknown:
        raise ClusterError(f"{source}: cluster: unknown key(s) {unknown}; allowed: {sorted(_DEFAULTS)}")
    return {**_DEFAULTS, **raw}


class SlurmWrapper:
    """Turns a step's command into the local proxy command that submits it (the runner's `wrap` hook)."""

    def __init__(self, work: Path, settings: dict[str, Any]) -> None:
        self.work, self.settings = Path(work), settings

    def __call__(self, step: Step, command: Command) -> Command:
        gpus = step_gpus(step)
        if gpus == 0 and not self.settings["submit_cpu_steps"]:
            return command
        per_node = min(gpus, int(self.settings["gpus_per_node"])) if gpus else 0
        nodes = max(1, math.ceil(gpus / per_node)) if per_node else 1
        spec = {**self.settings, "nodes": nodes, "gpus": per_node, "name": step.name,
                "folder": str(self.work / "slurm" / step.name)}
        argv = (sys.executable, "-m", "darkvid.pipeline.slurm", "--spec", json.dumps(spec), "--", *command.argv)
        return Command(argv, command.env)


def torchrun_launcher(nodes: int, gpus: int, master: str, job_id: str) -> str:
    """DARKVID_LAUNCHER for a run.sh inside the job: one torchrun per node, one process per GPU."""
    if nodes == 1:
        return f"torchrun --standalone --nproc_per_node {gpus}"
    return (f"torchrun --nnodes {nodes} --nproc_per_node {gpus} --rdzv_backend c10d "
            f"--rdzv_endpoint {master}:29500 --rdzv_id {job_id}")


def run_in_job(argv: Sequence[str], cwd: str, env: dict[str, str], spec: dict[str, Any], log: str) -> int:
    """What each job task runs: the command, under torchrun where it trains on several GPUs."""
    import submitit

    env = dict(env)
    try:
        job = submitit.JobEnvironment()
        rank, master, job_id = job.global_rank, job.hostnames[0], str(job.job_id)
    except RuntimeError:  # not inside a submitit job (a direct call in tests)
        rank, master, job_id = 0, "localhost", "local"
    if spec["gpus"] and (spec["nodes"] > 1 or spec["gpus"] > 1) and argv[0] == "bash":
        env["DARKVID_LAUNCHER"] = torchrun_launcher(spec["nodes"], spec["gpus"], master, job_id)
    out = log if rank == 0 else f"{log}.rank{rank}"
    with open(out, "a") as handle:
        done = subprocess.run(list(argv), check=False, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
        return done.returncode


def _executor(spec: dict[str, Any]):
    import submitit

    folder = Path(spec["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    executor = submitit.AutoExecutor(folder=folder, cluster=spec["backend"])
    params: dict[str, Any] = {"nodes": spec["nodes"], "tasks_per_node": 1, "timeout_min": int(spec["timeout_min"]),
                              "name": spec["name"], "cpus_per_task": max(1, spec["gpus"]) * int(spec["cpus_per_gpu"])}
    if spec["gpus"]:
        params["gpus_per_node"] = spec["gpus"]
    if spec["mem_gb"]:
        params["mem_gb"] = spec["mem_gb"]
    if spec["partition"] and spec["backend"] == "slurm":
        params["slurm_partition"] = spec["partition"]
    params.update({f"slurm_{k}" if spec["backend"] == "slurm" else k: v for k, v in spec["extra"].items()})
    executor.update_parameters(**params)
    return executor


def submit_and_follow(argv: Sequence[str], spec: dict[str, Any]) -> int:
    """Submit `argv` (run in the current directory, with this environment), echo its output, return its status."""
    log = Path(spec["folder"]) / "command.log"
    executor = _executor(spec)
    log.unlink(missing_ok=True)
    job = executor.submit(run_in_job, list(argv), os.getcwd(), dict(os.environ), spec, str(log))
    print(f"submitted {spec['name']} as job {job.job_id} ({spec['nodes']} node(s) x {spec['gpus']} GPU(s)); "
          f"submitit files in {spec['folder']}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (job.cancel(check=False), sys.exit(143)))
    offset = 0
    while True:
        finished = job.done()
        offset = _echo_new(log, offset)
        if finished:
            break
        time.sleep(POLL_S)
    try:
        codes = job.results()
    except Exception as err:  # noqa: BLE001 - submitit raises its own failure types; report any
        print(f"job {job.job_id} failed: {err}", file=sys.stderr)
        return 1
    return max(int(c) for c in codes) if codes else 1


def _echo_new(log: Path, offset: int) -> int:
    if not log.exists():
        return offset
    with log.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    sys.stdout.write(data.decode(errors="replace"))
    sys.stdout.flush()
    return offset + len(data)


def runner_hooks(preset_cluster: Optional[dict[str, Any]], work: Path, executor: str, source: str) -> dict[str, Any]:
    """Runner keyword arguments for `--executor`: a job wrapper (slurm) or the node's GPU pool (local)."""
    if executor not in EXECUTORS:
        raise ClusterError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if executor == "slurm":
        return {"wrap": SlurmWrapper(work, cluster_settings(preset_cluster, source))}
    devices = visible_gpus()
    shared = int(os.environ.get("DARKVID_STEPS_PER_GPU", "1"))  # >1: small steps share a card (gpu_smoke.sh)
    return {"gpus": GpuPool(devices, shared)} if devices else {}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Submit one pipeline command as a job and follow it.")
    parser.add_argument("--spec", required=True, help="JSON job settings (written by SlurmWrapper)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command after --")
    return submit_and_follow(command, json.loads(args.spec))


if __name__ == "__main__":
    sys.exit(main())
