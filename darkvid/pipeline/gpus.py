"""Give each concurrently running step its own GPUs (CUDA_VISIBLE_DEVICES) on a multi-GPU node.

With `--jobs N`, two 4-GPU trainings on an 8-GPU node must not both start on GPUs 0-3. A step asks
for as many GPUs as its training config says (NUM_GPUS, after the preset's overrides); it waits
until that many are free, runs with exactly those visible, and gives them back when it ends.
Steps that need no GPU (pseudo labels, the vote, the report) never wait.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

from .step import Command, Step

_NUM_GPUS = "NUM_GPUS"


def visible_gpus(env: Optional[dict[str, str]] = None) -> list[str]:
    """The GPU ids this process may hand out: CUDA_VISIBLE_DEVICES when set, else those nvidia-smi lists."""
    env = os.environ if env is None else env
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [d.strip() for d in listed.split(",") if d.strip() and d.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def command_gpus(command: Command) -> int:
    """GPUs one command needs: the NUM_GPUS its run.sh / test.sh resolves to, 0 for other commands."""
    argv = command.argv
    if len(argv) < 2 or argv[0] != "bash" or not argv[1].endswith((".sh",)):
        return 0
    overrides = list(argv[2:])
    value = None
    for key, val in zip(overrides[0::2], overrides[1::2]):
        if key == _NUM_GPUS:
            value = val  # the last override wins, as in the config loader
    if value is None:
        value = str(_config_num_gpus(argv[1]))
    return max(0, int(value))


def _config_num_gpus(script: str) -> int:
    """NUM_GPUS of the experiment folder's config.yaml (and its bases), without overrides."""
    from darkvid.config import load_config

    return int(load_config(os.path.join(os.path.dirname(script), "config.yaml")).NUM_GPUS)


def step_gpus(step: Step) -> int:
    """The most GPUs any command of `step` needs (its commands run one after another)."""
    return max((command_gpus(c) for c in step.commands), default=0)


class GpuPool:
    """A free list of GPU ids shared by the runner's threads.

    `steps_per_gpu` > 1 lets that many steps share one card (small clips, e.g. the smoke preset on
    a single GPU); a step still never gets the same GPU twice.
    """

    def __init__(self, devices: Sequence[str], steps_per_gpu: int = 1) -> None:
        self.devices = list(dict.fromkeys(devices))
        self._free = [d for d in self.devices for _ in range(max(1, steps_per_gpu))]
        self._changed = threading.Condition()

    @property
    def free(self) -> list[str]:
        with self._changed:
            return list(self._free)

    def acquire(self, count: int) -> list[str]:
        """Block until `count` distinct GPUs are free and take them (lowest ids first).

        A step asking for more GPUs than the node has gets all of them, once all are free: the
        engine then runs on what it sees, as it did before the pool existed.
        """
        count = min(count, len(self.devices))
        with self._changed:
            self._changed.wait_for(lambda: len(set(self._free)) >= count)
            taken = sorted(set(self._free), key=self.devices.index)[:count]
            for device in taken:
                self._free.remove(device)
            return taken

    def release(self, devices: Sequence[str]) -> None:
        with self._changed:
            self._free = sorted(self._free + list(devices), key=self.devices.index)
            self._changed.notify_all()

    @contextmanager
    def lease(self, step: Step) -> Iterator[dict[str, str]]:
        """The environment a step runs with: its own CUDA_VISIBLE_DEVICES while it runs."""
        count = step_gpus(step)
        if count == 0 or not self.devices:
            yield {}
            return
        taken = self.acquire(count)
        try:
            yield {"CUDA_VISIBLE_DEVICES": ",".join(taken)}
        finally:
            self.release(taken)
