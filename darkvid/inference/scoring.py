"""Member logits of a video -> its answer: top-k classes, and the ensemble's vote and agreement.

A single model's probabilities are the softmax of its logits. An ensemble goes through the vote
config's own rules (darkvid.ensemble.vote): softmax per prediction name with its temperature, each
mode's weights and decision rules, then the majority vote of the voting modes. Its top-k list ranks
the voting modes' mixed rows (each renormalised to sum to one) averaged.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from darkvid.ensemble.combine import softmax
from darkvid.ensemble.vote import majority_vote, run_mode, vote_probability

if TYPE_CHECKING:
    from darkvid.ensemble.vote_config import VoteConfig


@dataclass(frozen=True)
class Answer:
    """What the models say about one video.

    Attributes:
        top: (class index, probability) pairs, most probable first.
        vote: the ensemble's voted class (None for a single model).
        vote_probability: the vote's probability, as the submission CSV gives it.
        agreement: share of members whose own top-1 is the voted class.
    """

    top: list[tuple]
    vote: int | None = None
    vote_probability: float | None = None
    agreement: float | None = None


class Scorer:
    """Turns the per-member logits of a video into an `Answer`.

    Args:
        names: the member names (the vote config's prediction names for an ensemble).
        topk: classes listed per video.
        vote: the ensemble's vote config, or None for one model.
    """

    def __init__(self, names: Sequence[str], topk: int, vote: VoteConfig | None = None) -> None:
        self.names, self.topk, self.vote = list(names), int(topk), vote
        if self.topk < 1:
            raise ValueError(f"--topk must be at least 1; got {topk}")
        if vote is not None and set(vote.predictions) != set(self.names):
            raise ValueError(f"{vote.source}: members {sorted(self.names)} differ from its predictions "
                             f"{sorted(vote.predictions)}")

    def __call__(self, logits: Sequence[np.ndarray]) -> Answer:
        """The answer for one video's member logits (each [C])."""
        if self.vote is None:
            return Answer(_top(softmax(np.asarray(logits[0])[None])[0], self.topk))
        probs = {name: softmax(np.asarray(row)[None], self.vote.temperatures[name])
                 for name, row in zip(self.names, logits)}
        modes = {mode.name: mode for mode in self.vote.modes}
        results = [run_mode(probs, modes[name]) for name in self.vote.vote]
        preds, mixed = [r[0] for r in results], [r[1] for r in results]
        voted = majority_vote(preds, mixed)
        share = np.mean([m / m.sum(axis=1, keepdims=True) for m in mixed], axis=0)[0]
        agree = np.mean([int(np.argmax(row)) == int(voted[0]) for row in logits])
        return Answer(_top(share, self.topk), int(voted[0]), float(vote_probability(preds, mixed, voted)[0]),
                      float(agree))


def _top(probs: np.ndarray, k: int) -> list[tuple]:
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(i), float(probs[i])) for i in order]
