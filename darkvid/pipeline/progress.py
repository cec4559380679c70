"""Progress bars for the trainings a pipeline run is waiting on, drawn from their log lines.

The trainer announces each training ("training epochs A-B of B, N iterations per epoch") and logs
"epoch E  iter i/N" every LOG_PERIOD iterations; a bar per running step follows those lines. Bars
are drawn only on a terminal: in CI logs and redirected output the one-line-per-epoch echo stays.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Dict, Optional, TextIO

from tqdm import tqdm

_START = re.compile(r"training epochs (\d+)-(\d+) of \d+, (\d+) iterations per epoch")
_ITER = re.compile(r"\bepoch (\d+)\s+iter (\d+)/(\d+)\b")


def iterations_done(first_epoch: int, epoch: int, it: int, per_epoch: int) -> int:
    """Iterations finished since `first_epoch` (1-based) when epoch `epoch` has logged iteration `it`."""
    return (epoch - first_epoch) * per_epoch + it


@dataclass
class _Bar:
    bar: tqdm
    first_epoch: int
    per_epoch: int
    position: int


class TrainingBars:
    """One tqdm bar per step whose command is training; other console lines go above the bars."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self._bars: Dict[str, _Bar] = {}
        self._lock = threading.Lock()

    def feed(self, step: str, line: str) -> None:
        """Start or advance `step`'s bar from one line its command printed."""
        if not self.enabled:
            return
        if start := _START.search(line):
            first, last, per_epoch = (int(g) for g in start.groups())
            self._open(step, first, last, per_epoch)
        elif (match := _ITER.search(line)) and step in self._bars:
            entry = self._bars[step]
            epoch, it = int(match.group(1)), int(match.group(2))
            with self._lock:
                entry.bar.n = min(entry.bar.total, iterations_done(entry.first_epoch, epoch, it, entry.per_epoch))
                entry.bar.set_description_str(f"{step} epoch {epoch}", refresh=False)
                entry.bar.refresh()

    def _open(self, step: str, first: int, last: int, per_epoch: int) -> None:
        self.close(step)
        with self._lock:
            used = {entry.position for entry in self._bars.values()}
            position = next(p for p in range(len(used) + 1) if p not in used)
            total = max(1, (last - first + 1) * per_epoch)
            bar = tqdm(total=total, desc=step, unit="it", position=position, leave=False,
                       file=self.stream, dynamic_ncols=True)
            self._bars[step] = _Bar(bar, first, per_epoch, position)

    def close(self, step: str) -> None:
        with self._lock:
            entry: Optional[_Bar] = self._bars.pop(step, None)
            if entry is not None:
                entry.bar.close()

    def write(self, text: str) -> None:
        """Print a line without breaking the bars (tqdm redraws them below it)."""
        with self._lock:
            if self._bars:
                tqdm.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)
