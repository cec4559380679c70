"""Streaming prediction: decoded videos in, per-member video logits out, in input order.

Clips of many videos are queued per network and run in full batches, so a network sees
`batch_size` clips per forward pass whatever the videos' clip counts. Only the videos whose clips
are still queued are held (at most about one batch per network plus the loader's prefetch), so
memory stays flat however many files there are.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .clips import VideoClips


@dataclass
class VideoResult:
    """One video's per-member logits (None for a failed video) and what its decoding measured."""

    video: VideoClips
    logits: list[np.ndarray] | None = None


@dataclass
class _Pending:
    video: VideoClips
    logits: list[torch.Tensor | None]  # per network: its distinct clips' logits
    left: int  # networks whose clips are still queued


@dataclass
class _Queue:
    entries: list = field(default_factory=list)  # (video index, network, clips [U, C, T, H, W])
    clips: int = 0


class StreamPredictor:
    """Batches clips across videos per network and reduces each member's clips per video.

    Args:
        models: the networks, in eval mode on `device`.
        member_models: for each member, the index of its network in `models` (its plan's `network`).
        methods: for each member, DATA.ENSEMBLE_METHOD ("sum" or "max" over its clips).
        batch_size: clips per forward pass.
        device: where the networks live.
    """

    def __init__(self, models: Sequence[nn.Module], member_models: Sequence[int], methods: Sequence[str],
                 batch_size: int, device: torch.device) -> None:
        for method in methods:
            if method not in ("sum", "max"):
                raise ValueError(f"DATA.ENSEMBLE_METHOD must be sum or max; got {method!r}")
        self.models, self.member_models, self.methods = list(models), list(member_models), list(methods)
        self.batch_size, self.device = max(int(batch_size), 1), device

    @torch.no_grad()
    def run(self, videos: Iterable[VideoClips]) -> Iterator[VideoResult]:
        """Yield a result per video of `videos`, in the order of their `index` (0, 1, 2, ...)."""
        pending: dict[int, _Pending] = {}
        queues = [_Queue() for _ in self.models]
        next_index = 0
        for video in videos:
            groups = [] if video.error else [(n, c) for n, c in enumerate(video.clips) if len(c)]
            pending[video.index] = _Pending(video, [None] * len(self.models), len(groups))
            for network, clips in groups:
                queue = queues[network]
                queue.entries.append((video.index, network, clips))
                queue.clips += len(clips)
                if queue.clips >= self.batch_size:
                    self._flush(queue, self.models[network], pending)
            next_index = yield from self._ready(pending, next_index)
        for queue, model in zip(queues, self.models):
            self._flush(queue, model, pending)
        next_index = yield from self._ready(pending, next_index)
        if pending:
            raise RuntimeError(f"videos {sorted(pending)[:10]} never came out of the loader "
                               f"(expected {next_index} next)")

    def _flush(self, queue: _Queue, model: nn.Module, pending: dict[int, _Pending]) -> None:
        if not queue.entries:
            return
        inputs = torch.cat([clips for _, _, clips in queue.entries])
        outputs = [model([chunk.to(self.device)]).float().cpu() for chunk in inputs.split(self.batch_size)]
        logits = torch.cat(outputs)
        start = 0
        for index, network, clips in queue.entries:
            state = pending[index]
            state.logits[network] = logits[start:start + len(clips)]
            state.left -= 1
            start += len(clips)
        queue.entries, queue.clips = [], 0

    def _reduce(self, state: _Pending) -> list[np.ndarray]:
        out = []
        for member, slots in enumerate(state.video.slots):
            rows = state.logits[self.member_models[member]][slots]
            out.append((rows.sum(0) if self.methods[member] == "sum" else rows.max(0).values).numpy())
        return out

    def _ready(self, pending: dict[int, _Pending], next_index: int):
        while next_index in pending and pending[next_index].left == 0:
            state = pending.pop(next_index)
            logits = None if state.video.error else self._reduce(state)
            state.video.clips = []  # the clips are no longer needed: free them now
            yield VideoResult(state.video, logits)
            next_index += 1
        return next_index
