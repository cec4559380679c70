import math

import numpy as np
import pytest

from darkvid.ensemble.combine import GateRule, ReplaceRule, WeightSpec, combine, softmax
from darkvid.ensemble.pseudo_config import load_pseudo_config
from darkvid.ensemble.thresholds import (
    NEVER,
    accuracy,
    auto_thresholds,
    class_threshold,
    fixed_thresholds,
    relaxed_target,
    search_weights,
    select,
)
from tests.ensemble.conftest import noisy_logits

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_class_threshold_takes_largest_coverage_at_target():
    conf = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, False, True])
    assert class_threshold(conf, correct, 0.75) == 0.6  # 3/4 right at 0.6, 2/3 at 0.7
    assert class_threshold(conf, correct, 0.8) == 0.8
    assert class_threshold(conf, ~correct | (conf < 0.9), 1.0) == NEVER


def test_class_threshold_keeps_tied_confidences_together():
    conf = np.array([0.9, 0.5, 0.5])
    assert class_threshold(conf, np.array([True, True, False]), 0.8) == 0.9


def test_auto_thresholds_reach_target_on_synthetic_predictions():
    labels = np.arange(2000) % 11
    probs = softmax(noisy_logits(labels, 11, 2.0, seed=0))
    thresholds = auto_thresholds(probs, labels, 0.95)
    preds, conf = probs.argmax(1), probs.max(1)
    chosen = select(probs, thresholds)
    assert 0.2 < chosen.mean() < 1.0
    for cls in range(11):
        mine = chosen & (preds == cls)
        assert (labels[mine] == cls).mean() >= 0.95
        lower = conf[(preds == cls) & (conf < thresholds[cls])]
        if lower.size:  # one step lower breaks the target: no larger coverage reaches it
            wider = (preds == cls) & (conf >= lower.max())
            assert (labels[wider] == cls).mean() < 0.95


def test_relaxed_target_and_fixed_forms():
    assert relaxed_target(0.95, 0.02, 3) == pytest.approx(0.91)
    np.testing.assert_allclose(fixed_thresholds(0.5, 3, "x"), [0.5] * 3)
    np.testing.assert_allclose(fixed_thresholds({0: 0.1, "1": 0.2, 2: 0.3}, 3, "x"), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="cfg.yaml: thresholds: needs one threshold for each class"):
        fixed_thresholds({0: 0.1}, 3, "cfg.yaml: thresholds")


def test_stage_presets_reproduce_seed_thresholds():
    seed = {1: [0.509, 0.385, 0.416, 0.445, 0.385, 0.448, 0.684, 0.74, 0.465, 0.678, 0.324],
            2: [0.763, 0.545, 0.298, 0.509, 0.496, 0.715, 0.659, 0.885, 0.589, 0.723, 0.693],
            3: [0.275, 0.679, 0.273, 0.354, 0.426, 0.450, 0.256, 0.445, 0.443, 0.712, 0.306],
            4: [0.0] * 11}
    for stage, expected in seed.items():
        config = load_pseudo_config(REPO / f"gen_pseudo_tools/presets/stage{stage}.yaml")
        np.testing.assert_allclose(fixed_thresholds(config.thresholds, 11, "preset"), expected)
        assert config.weights.default["uniformer_b32_ssv2"] == 0.375
        assert config.weights.gates[0].classes == (6, 7)


def test_combine_gate_and_replace():
    a = np.array([[0.1, 0.9], [0.8, 0.2]])
    b = np.array([[0.6, 0.4], [0.3, 0.7]])
    spec = WeightSpec({"a": 0.5, "b": 0.5}, [GateRule("a", (1,), {"b": 1.0})])
    np.testing.assert_allclose(combine({"a": a, "b": b}, spec), [[0.6, 0.4], [0.55, 0.45]])
    spec = WeightSpec({"a": 0.5, "b": 0.5}, replaces=[ReplaceRule("b", (0,))])
    np.testing.assert_allclose(combine({"a": a, "b": b}, spec), [[0.35, 0.65], [0.3, 0.7]])


def test_weight_search_improves_or_equals():
    labels = np.arange(600) % 11
    probs = {f"m{k}": softmax(noisy_logits(labels, 11, s, seed=k)) for k, s in enumerate([0.2, 1.0, 3.0])}
    start = WeightSpec({"m0": 0.8, "m1": 0.1, "m2": 0.1})
    before = accuracy(combine(probs, start), labels)
    best, after = search_weights(probs, labels, start, step=0.1)
    assert after == pytest.approx(accuracy(combine(probs, best), labels))
    assert after > before + 0.1
    assert best.default["m2"] >= 0.5
    assert math.isclose(sum(best.default.values()), 1.0)
    again, same = search_weights(probs, labels, best, step=0.1)
    assert same == after and again == best
