"""Run steps as subprocesses in the work directory: logs, markers, skips, parallel independent steps.

Each step's output goes to WORK/logs/<step>.log (appended, one header per attempt) and, filtered to
one line per epoch / evaluation / prediction, to the console, where a terminal also shows a progress
bar per running training. A failing command stops the run.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterable, Optional, TextIO

from .gpus import GpuPool
from .progress import TrainingBars
from .step import Command, Step, invalidate, is_complete, missing_outputs, read_marker, write_marker

# (step, command) -> the command actually started, e.g. darkvid.pipeline.slurm's job submission
Wrap = Callable[[Step, Command], Command]

TAIL_LINES = 40
# Echoed without --verbose: epoch ends, evaluations, test results, errors (not every logged iteration:
# "source_top1 " must not match, hence the word boundary before top1).
_COMPACT = re.compile(r"iter (\d+)/\1\b|\beval \w+:|tested |new best|selected \d+|\btop1 |error|Error|"
                      r"rendering|synthetic ARID|-> ")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class StepFailed(RuntimeError):
    """A step that did not complete: its name, the command, the exit status and its log's tail."""

    def __init__(self, step: str, command: str, log: Path, reason: str) -> None:
        self.step, self.command, self.log, self.reason = step, command, log, reason
        super().__init__(self.report())

    def tail(self, lines: int = TAIL_LINES) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def report(self) -> str:
        """The message printed when the pipeline stops."""
        return (f"step {self.step} failed: {self.reason}\ncommand: {self.command}\n"
                f"last {TAIL_LINES} lines of {self.log}:\n{self.tail()}")


class Runner:
    """Executes a plan of steps in a work directory, at most `jobs` at a time."""

    def __init__(self, work: Path, jobs: int = 1, verbose: bool = False, stream: TextIO = sys.stdout,
                 gpus: Optional[GpuPool] = None, wrap: Optional[Wrap] = None) -> None:
        self.work, self.jobs, self.verbose, self.stream = Path(work), max(1, jobs), verbose, stream
        self.gpus, self.wrap = gpus, wrap  # own GPUs per running step (gpus.py); commands as jobs (slurm.py)
        self._lock = threading.Lock()
        self._procs: dict[int, subprocess.Popen] = {}
        self._stopping = False
        self.bars = TrainingBars(stream, enabled=not verbose and _is_terminal(stream))

    def thread_env(self) -> dict[str, str]:
        """Threads per command so that `jobs` parallel commands share the cores instead of fighting.

        Each PyTorch process would otherwise start one thread per core: two such processes on two
        cores ran a training step 4-5x slower than one alone. Variables the user set win.
        """
        threads = str(max(1, (os.cpu_count() or 1) // self.jobs))
        return {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}

    def say(self, text: str) -> None:
        with self._lock:
            self.bars.write(text)

    def log_path(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def run(self, steps: list[Step], force: Iterable[str] = (),
            outside_ok: Callable[[str], bool] = lambda _: True) -> dict[str, float]:
        """Run `steps` in order (independent ones in parallel); returns seconds per step run here.

        Args:
            steps: the plan, in a topological order.
            force: names of steps to invalidate (and clean) before the run.
            outside_ok: for a dependency outside the plan, whether it has completed.

        Raises:
            StepFailed: the first step that failed (running steps are stopped, none is marked done).
        """
        forced = set(force)
        for step in steps:
            if step.name in forced:
                invalidate(step, self.work)
        names = {s.name for s in steps}
        position = {s.name: i + 1 for i, s in enumerate(steps)}
        pending, done, seconds = list(steps), set(), {}
        running: dict[Future, Step] = {}
        with ThreadPoolExecutor(self.jobs) as pool:
            try:
                while pending or running:
                    for step in self._ready(pending, running, names, done, outside_ok):
                        pending.remove(step)
                        if is_complete(step, self.work):
                            self.say(f"step {position[step.name]} of {len(steps)}: {step.name} (up to date, skipped)")
                            done.add(step.name)
                            continue
                        self.say(f"step {position[step.name]} of {len(steps)}: {step.name}")
                        running[pool.submit(self._execute, step)] = step
                    if not running:
                        continue
                    finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in finished:
                        step = running.pop(future)
                        seconds[step.name] = future.result()
                        done.add(step.name)
                        self.say(f"  done {step.name} in {seconds[step.name]:.1f} s")
            except BaseException:
                self._stop_all()
                raise
        return seconds

    def _ready(self, pending: list[Step], running: dict, names: set, done: set,
               outside_ok: Callable[[str], bool]) -> list[Step]:
        ready = []
        for step in pending:
            if len(running) + len(ready) >= self.jobs:
                break
            waiting = [d for d in step.deps if d in names and d not in done]
            if waiting:
                continue
            absent = [d for d in step.deps if d not in names and not outside_ok(d)]
            if absent:
                raise StepFailed(step.name, "(not started)", self.log_path(step.name),
                                 f"needs step(s) {', '.join(absent)} to have completed first")
            ready.append(step)
        return ready

    def _execute(self, step: Step) -> float:
        log = self.log_path(step.name)
        log.parent.mkdir(parents=True, exist_ok=True)
        start = time.time()
        if invalid := (read_marker(self.work, step.name) is not None):
            invalidate(step, self.work)  # stale: its inputs or commands changed since it completed
        with log.open("a") as handle, (self.gpus.lease(step) if self.gpus else contextlib.nullcontext({})) as devices:
            handle.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} step {step.name}"
                         f"{' (rerun: inputs changed)' if invalid else ''}\n")
            for command in step.commands:
                self._run_command(step, command, handle, log, devices)
        missing = missing_outputs(step, self.work)
        if missing:
            shown = step.commands[-1].shell_text() if step.commands else "(none)"
            reason = f"outputs missing or empty: {', '.join(missing)}. {step.note}".strip()
            raise StepFailed(step.name, shown, log, reason)
        elapsed = time.time() - start
        write_marker(step, self.work, elapsed)
        return elapsed

    def _run_command(self, step: Step, command: Command, handle: TextIO, log: Path, devices: dict[str, str]) -> None:
        if self._stopping:
            raise StepFailed(step.name, command.shell_text(), log, "stopped because another step failed")
        handle.write(f"$ {command.shell_text()}\n")
        handle.flush()
        env = dict(os.environ, **dict(command.env))
        env.update({k: v for k, v in self.thread_env().items() if k not in os.environ}, **devices)
        argv = self.wrap(step, command).argv if self.wrap else command.argv
        if step.stats:
            self.bars.follow(step.name, self.work / step.stats)
        try:
            proc = subprocess.Popen(argv, cwd=self.work, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        except OSError as err:
            raise StepFailed(step.name, command.shell_text(), log, f"cannot start: {err}") from err
        with self._lock:
            self._procs[proc.pid] = proc
        try:
            for line in proc.stdout:
                handle.write(line)
                handle.flush()
                self.bars.poll(step.name)
                if self.verbose or _COMPACT.search(line):
                    self.say(f"  [{step.name}] {line.rstrip()}")
            code = proc.wait()
        finally:
            self.bars.close(step.name)
            with self._lock:
                self._procs.pop(proc.pid, None)
        if code != 0:
            raise StepFailed(step.name, command.shell_text(), log, f"exit status {code}")

    def _stop_all(self) -> None:
        """Terminate the process groups of the commands still running (they get no marker)."""
        self._stopping = True
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
