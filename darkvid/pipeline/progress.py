"""Progress bars for the trainings a pipeline run is waiting on, drawn from their stats files.

A training writes OUTPUT_DIR/stats.jsonl (darkvid.engine.logging.StatsWriter): a "start" record
(first and last epoch, iterations per epoch) when it begins, then a "train" record per finished
epoch. A bar per running step follows those records; the step's own output lines only tell it
when to look again. Bars are drawn only on a terminal: in CI logs and redirected output the
one-line-per-epoch echo stays.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tqdm import tqdm


def iterations_done(first_epoch: int, epoch: int, it: int, per_epoch: int) -> int:
    """Iterations finished since `first_epoch` (1-based) when epoch `epoch` has reached iteration `it`."""
    return (epoch - first_epoch) * per_epoch + it


@dataclass
class _Follow:
    path: Path
    offset: int
    bar: tqdm | None = None
    first_epoch: int = 1
    per_epoch: int = 0
    position: int = 0


class TrainingBars:
    """One tqdm bar per step whose training writes stats; other console lines go above the bars."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self._follows: dict[str, _Follow] = {}
        self._lock = threading.Lock()

    def follow(self, step: str, stats: Path) -> None:
        """Watch `stats` for `step`'s training, from its current end (older runs' records are not ours)."""
        if not self.enabled:
            return
        self.close(step)
        with self._lock:
            self._follows[step] = _Follow(stats, stats.stat().st_size if stats.exists() else 0)

    def poll(self, step: str) -> None:
        """Read the records `step`'s training appended since the last poll and move its bar."""
        entry = self._follows.get(step)
        if entry is None or not entry.path.exists():
            return
        with entry.path.open("rb") as handle:
            handle.seek(entry.offset)
            chunk = handle.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        entry.offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self._apply(step, entry, record)

    def _apply(self, step: str, entry: _Follow, record: dict) -> None:
        if record.get("kind") == "start":
            self._open(step, entry, int(record["first_epoch"]), int(record["last_epoch"]),
                       int(record["iterations_per_epoch"]))
        elif record.get("kind") == "train" and entry.bar is not None:
            epoch = int(record["epoch"])
            with self._lock:
                done = iterations_done(entry.first_epoch, epoch, entry.per_epoch, entry.per_epoch)
                entry.bar.n = min(entry.bar.total, done)
                entry.bar.set_description_str(f"{step} epoch {epoch}", refresh=False)
                entry.bar.refresh()

    def _open(self, step: str, entry: _Follow, first: int, last: int, per_epoch: int) -> None:
        with self._lock:
            if entry.bar is not None:
                entry.bar.close()
            used = {f.position for f in self._follows.values() if f.bar is not None and f is not entry}
            entry.position = next(p for p in range(len(used) + 1) if p not in used)
            entry.first_epoch, entry.per_epoch = first, per_epoch
            entry.bar = tqdm(total=max(1, (last - first + 1) * per_epoch), desc=step, unit="it",
                             position=entry.position, leave=False, file=self.stream, dynamic_ncols=True)

    def close(self, step: str) -> None:
        with self._lock:
            entry = self._follows.pop(step, None)
            if entry is not None and entry.bar is not None:
                entry.bar.close()

    def write(self, text: str) -> None:
        """Print a line without breaking the bars (tqdm redraws them below it)."""
        with self._lock:
            if any(f.bar is not None for f in self._follows.values()):
                tqdm.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)
