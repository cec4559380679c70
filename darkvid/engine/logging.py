"""Run logs: console / log.txt lines, OUTPUT_DIR/stats.jsonl records, TensorBoard scalars, config.yaml.

Only the main process writes files; the others log warnings and errors to the console.
"""
from __future__ import annotations

import atexit
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

from fvcore.common.config import CfgNode

logger = logging.getLogger("darkvid")
_FORMAT = "[%(asctime)s %(levelname)s %(name)s] %(message)s"


def setup_logging(output_dir: str, is_main: bool) -> None:
    """Send darkvid's log to the console and (main process) to OUTPUT_DIR/log.txt; calling again replaces both."""
    logger.setLevel(logging.INFO if is_main else logging.WARNING)
    close_logging()
    handlers = [logging.StreamHandler(sys.stdout)]
    if is_main:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(Path(output_dir) / "log.txt"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        logger.addHandler(handler)
    atexit.unregister(_report_peak_gpu_memory)
    atexit.register(_report_peak_gpu_memory)


def _report_peak_gpu_memory() -> None:
    """At exit, one line with this process's peak CUDA memory (read by benchmarks/gpu_smoke.sh).

    Printed, not logged: the log handlers may already be closed when the process ends.
    """
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return
    device = torch.cuda.current_device()
    peak, reserved = torch.cuda.max_memory_allocated(device), torch.cuda.max_memory_reserved(device)
    print(f"[{time.strftime('%H:%M:%S')} INFO darkvid] peak GPU memory of cuda:{device}: "
          f"{peak / 2**30:.2f} GiB allocated, {reserved / 2**30:.2f} GiB reserved", flush=True)


def close_logging() -> None:
    """Detach and close the handlers that `setup_logging` added."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def save_config(cfg: CfgNode, output_dir: str) -> Path:
    """Write the resolved config to OUTPUT_DIR/config.yaml, so a run can be reproduced from its folder."""
    path = Path(output_dir) / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cfg.dump())
    return path


class StatsWriter:
    """Appends JSON records to OUTPUT_DIR/stats.jsonl and scalars to TensorBoard (main process only)."""

    def __init__(self, output_dir: str, enabled: bool, tensorboard_dir: Optional[str] = None) -> None:
        self.path = Path(output_dir) / "stats.jsonl"
        self.enabled = enabled
        self._tb = None
        if enabled and tensorboard_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=tensorboard_dir)

    def write(self, record: Dict[str, Any], step: Optional[int] = None) -> None:
        """One JSON line; numeric fields also go to TensorBoard as `<kind>/<field>` at `step`."""
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        if self._tb is not None and step is not None:
            kind = record.get("kind", "stats")
            for key, value in record.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in ("epoch", "iter"):
                    self._tb.add_scalar(f"{kind}/{key}", value, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


class ProgressMeter:
    """Running averages of one epoch, logged every `period` iterations with data and iteration time."""

    def __init__(self, epoch: int, num_iters: int, period: int) -> None:
        self.epoch, self.num_iters, self.period = epoch, num_iters, max(1, period)
        self.sums: Dict[str, float] = {}
        self.count = 0
        self.data_time = self.iter_time = 0.0
        self._tic = time.perf_counter()

    def data_ready(self) -> None:
        """Call when the batch is loaded: the time since the last iteration ended was data loading."""
        self.data_time += time.perf_counter() - self._tic

    def update(self, it: int, values: Dict[str, float]) -> None:
        """Add one iteration's scalars (NaN values are skipped in averages) and log if due."""
        now = time.perf_counter()
        self.iter_time += now - self._tic
        self._tic = now
        self.count += 1
        for key, value in values.items():
            if not math.isnan(value):
                self.sums[key] = self.sums.get(key, 0.0) + value
        if (it + 1) % self.period == 0 or it + 1 == self.num_iters:
            fields = "  ".join(f"{k} {v:.4g}" for k, v in self.averages().items())
            logger.info("epoch %d  iter %d/%d  %s", self.epoch + 1, it + 1, self.num_iters, fields)

    def averages(self) -> Dict[str, float]:
        count = max(self.count, 1)
        out = {key: total / count for key, total in self.sums.items()}
        out["data_time"] = self.data_time / count
        out["iter_time"] = self.iter_time / count
        return out
