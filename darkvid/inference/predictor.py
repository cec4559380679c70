"""The public entry: load one model, a work directory's ensemble or a bundle, then predict videos.

    predictor = Predictor.from_ensemble(Path("work_dirs/demo"))
    for row in predictor.rows(expand_inputs(["clips/"], num_classes=predictor.num_classes)):
        ...
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
)

import torch
from torch.utils.data import DataLoader

from darkvid.datasets.build import build_reader

from .clips import VideoStream, passthrough
from .ensemble import (
    Member,
    class_names,
    clip_plan,
    ensemble_members,
    find_vote_file,
    load_networks,
    run_member,
)
from .output import make_row
from .runner import StreamPredictor
from .scoring import Scorer

if TYPE_CHECKING:
    from darkvid.ensemble.vote_config import VoteConfig


class Predictor:
    """Members (network x views x crops), their clip plans and networks, and the vote if any."""

    def __init__(self, members: Sequence[Member], vote: VoteConfig | None = None, *, gamma: str | None = None,
                 topk: int = 5, device: str | None = None) -> None:
        self.members, self.vote = list(members), vote
        self.classes = class_names(self.members)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.networks, self.member_networks = load_networks(self.members, self.device)
        self.plans = [replace(clip_plan(m, gamma), network=n) for m, n in zip(self.members, self.member_networks)]
        self.scorer = Scorer([m.name for m in self.members], min(topk, len(self.classes)), vote)
        self.reader = build_reader(self.members[0].cfg)

    @classmethod
    def from_model(cls, path: Path, cfg_file: Path | None = None, views: int | None = None,
                   crops: int | None = None, **kwargs: Any) -> Predictor:
        """One run folder, or a checkpoint with its config."""
        return cls([run_member(path, cfg_file, views, crops)], **kwargs)

    @classmethod
    def from_ensemble(cls, work_dir: Path, **kwargs: Any) -> Predictor:
        """A work directory's final models and the vote it chose."""
        members, vote = ensemble_members(find_vote_file(work_dir), Path(work_dir))
        return cls(members, vote, **kwargs)

    @classmethod
    def from_bundle(cls, folder: Path, **kwargs: Any) -> Predictor:
        """An exported bundle, after checking every file against its manifest."""
        from .bundle import VOTE_FILE, verify_bundle

        verify_bundle(folder)
        members, vote = ensemble_members(Path(folder) / VOTE_FILE, Path(folder))
        return cls(members, vote, **kwargs)

    @property
    def num_classes(self) -> int:
        """Classes of the models."""
        return len(self.classes)

    @property
    def default_batch_size(self) -> int:
        """TEST.BATCH_SIZE of the members (the largest)."""
        return max(m.cfg.TEST.BATCH_SIZE for m in self.members)

    def rows(self, paths: Callable[[], Iterable[Path]], *, workers: int = 2,
             batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """A row per video of `paths()` (called once per loader worker), in order."""
        stream = VideoStream(paths, self.reader, self.plans)
        loader = DataLoader(stream, batch_size=None, num_workers=workers, collate_fn=passthrough,
                            prefetch_factor=2 if workers else None)
        methods = [m.cfg.DATA.ENSEMBLE_METHOD for m in self.members]
        runner = StreamPredictor(self.networks, self.member_networks, methods,
                                 batch_size or self.default_batch_size, self.device)
        for result in runner.run(loader):
            answer = None if result.logits is None else self.scorer(result.logits)
            yield make_row(result, answer, self.classes)

    def describe(self) -> list[str]:
        """One line per member: its name, checkpoint, views x crops, frames and gamma."""
        lines = []
        for member, plan in zip(self.members, self.plans):
            gamma = "off" if plan.gamma is None else (
                f"{plan.gamma.gamma}" if plan.gamma.mode == "fixed" else f"adaptive to {plan.gamma.target_mean}")
            lines.append(f"{member.name}: {member.checkpoint} {member.views}x{member.crops} views x crops, "
                         f"{plan.sampler.num_frames} frames ({plan.sampler.kind}), gamma {gamma}")
        return lines


def paths_of(items: Sequence[str], **kwargs: Any) -> Callable[[], Iterable[Path]]:
    """A re-callable expansion of the inputs (see `expand_inputs`)."""
    from .inputs import expand_inputs

    return functools.partial(expand_inputs, list(items), **kwargs)
