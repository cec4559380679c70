"""The run's tally of bad training videos: named, counted across processes and epochs, and capped.

A training dataset replaces a missing or undecodable video only while DATA.MAX_BAD_VIDEOS allows
(each batch names the videos it replaced). The dataset sees only its own process; this tally
joins every process and every epoch (and a resumed run's checkpoint), so the cap holds for the
whole run and every bad video reaches the log, stats.jsonl (`bad_videos`, `bad_video_paths`)
and the checkpoints.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, List, Sequence

from .distributed import all_gather_objects

logger = logging.getLogger(__name__)


class BadVideoTally:
    """Distinct bad training videos of the run, in the order they were first met."""

    def __init__(self, limit: int, known: Sequence[str] = ()) -> None:
        self.limit = limit
        self.names: List[str] = list(dict.fromkeys(known))
        self._pending: List[str] = []

    def watch(self, loader: Iterable) -> "WatchedLoader":
        """`loader`, noting the bad videos its batches name."""
        return WatchedLoader(loader, self)

    def note(self, names: Iterable[str]) -> None:
        """Remember names met in this process (joined at the next `sync`)."""
        self._pending.extend(names)

    def sync(self) -> List[str]:
        """Join every process's new names (collective), log the new ones, and enforce the cap.

        Raises:
            BadVideosError: more distinct bad videos than DATA.MAX_BAD_VIDEOS, naming them all.
        """
        gathered = all_gather_objects(list(dict.fromkeys(self._pending)))
        self._pending = []
        new = [name for names in gathered for name in names if name not in self.names]
        for name in dict.fromkeys(new):
            self.names.append(name)
            logger.warning("bad training video %d of at most %d (DATA.MAX_BAD_VIDEOS): %s",
                           len(self.names), self.limit, name)
        if len(self.names) > self.limit:
            from darkvid.datasets.dataset import BadVideosError  # the dataset's own error, loaded late

            raise BadVideosError(f"{len(self.names)} bad training videos, DATA.MAX_BAD_VIDEOS allows {self.limit}: "
                                 + ", ".join(self.names))
        return list(self.names)

    def record(self) -> dict:
        """The stats.jsonl fields: `bad_videos` (distinct count so far) and `bad_video_paths`."""
        return {"bad_videos": len(self.names), "bad_video_paths": list(self.names)}


class WatchedLoader:
    """A loader whose batches' `bad_videos` go to a tally; otherwise the loader itself."""

    def __init__(self, loader: Iterable, tally: BadVideoTally) -> None:
        self.loader = loader
        self.tally = tally

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            self.tally.note(getattr(batch, "bad_videos", ()))
            yield batch

    def __len__(self) -> int:
        return len(self.loader)
