"""Turn logits into probabilities and mix several models' probabilities.

Weights are data: a default weight per model, plus gate rules that give other weights to the videos
a named model predicts as given classes (the seed weighted Sit/Stand videos, as predicted by the
SSv2 UniFormer, differently), plus replace rules that hand the videos the mix predicts as given
classes to one model alone (the seed's final vote did this with SlowFast for Run and Walk). The mix
is not renormalised: the seed's thresholds and decision rules were tuned on these raw sums.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np


class EnsembleConfigError(ValueError):
    """An ensemble setting that cannot be used; the message names the key and the file."""


@dataclass(frozen=True)
class GateRule:
    """Use `weights` for the videos whose argmax under model `model` is one of `classes`."""

    model: str
    classes: tuple[int, ...]
    weights: dict[str, float]


@dataclass(frozen=True)
class ReplaceRule:
    """Replace the mix by model `model`'s probabilities where the mix predicts one of `classes`."""

    model: str
    classes: tuple[int, ...]


@dataclass(frozen=True)
class WeightSpec:
    """Default weights per model plus the per-class gate and replace rules, applied in that order."""

    default: dict[str, float]
    gates: list[GateRule] = field(default_factory=list)
    replaces: list[ReplaceRule] = field(default_factory=list)

    def models(self) -> set[str]:
        """Every model the spec reads."""
        names = set(self.default)
        for gate in self.gates:
            names |= {gate.model, *gate.weights}
        return names | {rule.model for rule in self.replaces}

    def to_dict(self) -> dict[str, Any]:
        """The spec as config data (the inverse of `parse_weight_spec`)."""
        return {
            "default": dict(self.default),
            "gates": [{"model": g.model, "classes": list(g.classes), "weights": dict(g.weights)} for g in self.gates],
            "replaces": [{"model": r.model, "classes": list(r.classes)} for r in self.replaces],
        }


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits / temperature`, in float64."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def _check_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise EnsembleConfigError(f"{where}: unknown key(s) {unknown}; allowed: {list(allowed)}")


def _weights(data: Any, names: Sequence[str], where: str) -> dict[str, float]:
    if not isinstance(data, Mapping) or not data:
        raise EnsembleConfigError(f"{where}: expected a mapping of model name to weight")
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise EnsembleConfigError(f"{where}: unknown model(s) {unknown}; known: {sorted(names)}")
    return {str(name): float(weight) for name, weight in data.items()}


def parse_weight_spec(data: Any, names: Sequence[str], where: str) -> WeightSpec:
    """Build a `WeightSpec` from `{model: w}` or `{default:, gates:, replaces:}` config data."""
    if isinstance(data, Mapping) and "default" not in data:
        return WeightSpec(_weights(data, names, where))
    if not isinstance(data, Mapping):
        raise EnsembleConfigError(f"{where}: expected a mapping")
    _check_keys(data, ("default", "gates", "replaces"), where)
    gates = []
    for i, gate in enumerate(data.get("gates") or []):
        _check_keys(gate, ("model", "classes", "weights"), f"{where}.gates[{i}]")
        _weights({gate["model"]: 0.0}, names, f"{where}.gates[{i}].model")
        gates.append(GateRule(gate["model"], tuple(int(c) for c in gate["classes"]),
                              _weights(gate["weights"], names, f"{where}.gates[{i}].weights")))
    replaces = []
    for i, rule in enumerate(data.get("replaces") or []):
        _check_keys(rule, ("model", "classes"), f"{where}.replaces[{i}]")
        _weights({rule["model"]: 0.0}, names, f"{where}.replaces[{i}].model")
        replaces.append(ReplaceRule(rule["model"], tuple(int(c) for c in rule["classes"])))
    return WeightSpec(_weights(data["default"], names, f"{where}.default"), gates, replaces)


def _weighted_sum(probs: Mapping[str, np.ndarray], weights: Mapping[str, float], rows: np.ndarray) -> np.ndarray:
    return sum(weight * probs[name][rows] for name, weight in weights.items())


def combine(probs: Mapping[str, np.ndarray], spec: WeightSpec) -> np.ndarray:
    """Mix per-model probabilities [N, C] by `spec`; returns the raw weighted sums [N, C]."""
    first = next(iter(probs.values()))
    mixed = np.zeros(first.shape, dtype=np.float64)
    gated = np.zeros(first.shape[0], dtype=bool)
    for gate in spec.gates:
        rows = np.isin(probs[gate.model].argmax(axis=1), gate.classes) & ~gated
        mixed[rows] = _weighted_sum(probs, gate.weights, rows)
        gated |= rows
    mixed[~gated] = _weighted_sum(probs, spec.default, ~gated)
    predicted = mixed.argmax(axis=1)
    for rule in spec.replaces:
        rows = np.isin(predicted, rule.classes)
        mixed[rows] = probs[rule.model][rows]
    return mixed
