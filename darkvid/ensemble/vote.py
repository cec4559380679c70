"""Ensemble modes, per-class decision rules as data, majority vote and the submission rows.

A decision rule reads: for videos predicted `pred` whose probability of `guard_class` is at most
`guard_max`, move to the first class in `then` whose probability reaches its minimum. Rules run in
order over all videos, so a video moved by one rule can be moved again by a later one (as the
seed's deal_preds functions did).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .combine import EnsembleConfigError, WeightSpec, combine
from .config_file import check_keys

SUBMISSION_HEADER = ("VideoID", "Video", "ClassID", "Probability")


@dataclass(frozen=True)
class DecisionRule:
    """Move videos predicted `pred` (with probs[guard_class] <= guard_max) to the first matching class."""

    pred: int
    guard_class: int
    guard_max: float
    then: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Mode:
    """One ensemble: a weighting of prediction files, then optional decision rules."""

    name: str
    weights: WeightSpec
    rules: tuple[DecisionRule, ...] = ()


def parse_rules(data: Any, where: str) -> tuple[DecisionRule, ...]:
    """Rules from a list of `{pred, guard_class (default pred), guard_max, then: [[class, min], ...]}`."""
    if not isinstance(data, list):
        raise EnsembleConfigError(f"{where}: expected a list of rules")
    rules = []
    for i, item in enumerate(data):
        check_keys(item, ("pred", "guard_class", "guard_max", "then"), f"{where}[{i}]",
                   required=("pred", "guard_max", "then"))
        then = tuple((int(cls), float(low)) for cls, low in item["then"])
        rules.append(DecisionRule(int(item["pred"]), int(item.get("guard_class", item["pred"])),
                                  float(item["guard_max"]), then))
    return tuple(rules)


def apply_rules(preds: np.ndarray, probs: np.ndarray, rules: Sequence[DecisionRule]) -> np.ndarray:
    """Return a copy of `preds` with every rule applied in order."""
    preds = preds.copy()
    for rule in rules:
        rows = (preds == rule.pred) & (probs[:, rule.guard_class] <= rule.guard_max)
        for cls, low in rule.then:
            hit = rows & (probs[:, cls] >= low)
            preds[hit] = cls
            rows &= ~hit
    return preds


def run_mode(probs: Mapping[str, np.ndarray], mode: Mode) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and mixed probabilities of one mode."""
    mixed = combine(probs, mode.weights)
    return apply_rules(mixed.argmax(axis=1), mixed, mode.rules), mixed


def majority_vote(preds: Sequence[np.ndarray], probs: Sequence[np.ndarray]) -> np.ndarray:
    """Most-voted class per video; ties go to the highest probability summed over modes, then the lowest id."""
    votes = np.zeros(probs[0].shape, dtype=np.int64)
    for pred in preds:
        votes[np.arange(pred.size), pred] += 1
    summed = np.sum([p / p.sum(axis=1, keepdims=True) for p in probs], axis=0)
    tied = votes == votes.max(axis=1, keepdims=True)
    score = np.where(tied, np.round(summed, 12), -np.inf)  # rounding: the order of summing must not break ties
    return np.argmax(score, axis=1)


def chosen_probability(probs: np.ndarray, preds: np.ndarray) -> np.ndarray:
    """Probability of each chosen class after renormalising the mixed row to sum to one."""
    normed = probs / probs.sum(axis=1, keepdims=True)
    return normed[np.arange(preds.size), preds]


def submission_rows(paths: Sequence[str], preds: np.ndarray, probability: np.ndarray) -> list[list[Any]]:
    """Rows `VideoID (row index), Video (path as in test.csv), ClassID, Probability (number)`."""
    return [[i, path, int(pred), f"{float(p):.6f}"] for i, (path, pred, p) in enumerate(zip(paths, preds, probability))]


def vote_probability(mode_preds: Sequence[np.ndarray], mode_probs: Sequence[np.ndarray],
                     voted: np.ndarray) -> np.ndarray:
    """Probability column of the vote: that of the first mode (in order) that predicted the voted class."""
    out = np.zeros(voted.size)
    for pred, prob in zip(reversed(mode_preds), reversed(mode_probs)):
        agree = pred == voted
        out[agree] = chosen_probability(prob, voted)[agree]
    return out
