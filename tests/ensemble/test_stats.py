"""Exact McNemar test and the accuracy interval, against hand-computed values and scipy."""
import numpy as np
import pytest

from darkvid.ensemble.stats import accuracy_interval, mcnemar_exact, paired_compare


@pytest.mark.parametrize("b, c, expected", [
    (10, 2, 2 * 79 / 4096),  # P(X <= 2 | n=12) = (1 + 12 + 66) / 2^12; two-sided 0.0386
    (2, 10, 2 * 79 / 4096),
    (5, 0, 2 / 32),  # 0.0625: five discordant videos one way are not enough
    (3, 3, 1.0),
    (0, 0, 1.0),
    (1, 0, 1.0),
])
def test_mcnemar_matches_hand_computed_values(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected)


def test_mcnemar_b10_c2_is_0_0386():
    assert round(mcnemar_exact(10, 2), 4) == 0.0386


def test_mcnemar_matches_scipy_binomtest():
    stats = pytest.importorskip("scipy.stats")
    for b, c in [(10, 2), (7, 19), (0, 6), (40, 25), (300, 260)]:
        expected = stats.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
        assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9)


def test_mcnemar_refuses_negative_counts():
    with pytest.raises(ValueError, match="b=-1"):
        mcnemar_exact(-1, 2)


def test_paired_compare_counts_only_discordant_videos():
    first = np.array([1, 1, 1, 0, 0, 1], dtype=bool)
    second = np.array([1, 0, 0, 0, 1, 1], dtype=bool)
    result = paired_compare(first, second)
    assert (result.videos, result.only_first, result.only_second) == (6, 2, 1)
    assert result.p_value == pytest.approx(1.0) and not result.significant(0.05)
    with pytest.raises(ValueError, match="one length"):
        paired_compare(first, second[:5])


def test_accuracy_interval_is_wilson_and_none_when_unknown():
    low, high = accuracy_interval(90.0, 400)
    assert 86.6 <= low <= 87.0 and 92.5 <= high <= 92.9  # about +-3 points at 400 videos
    assert accuracy_interval(None, 10) is None and accuracy_interval(50.0, 0) is None
    assert accuracy_interval(100.0, 11)[1] == 100.0
