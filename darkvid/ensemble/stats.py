"""Paired significance of two classifiers on the same videos: the exact McNemar test.

Two runs scored on the same test videos differ only where one is right and the other wrong; the
videos both get right or both get wrong say nothing about which is better. Under "no difference"
each discordant video is a fair coin, so the count one way is Binomial(b + c, 1/2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .metrics import wilson_interval


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for `b` videos only the first run gets right and `c` only the second.

    p = min(1, 2 * P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); 1.0 when no video is discordant.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0; got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    # Exact integers until the one division, so large n does not lose the tail to rounding.
    return min(1.0, 2.0 * tail / 2 ** n)


@dataclass(frozen=True)
class PairedResult:
    """How two runs compare on the same videos."""

    videos: int  # videos both were scored on
    only_first: int  # b: right in the first run only
    only_second: int  # c: right in the second run only
    p_value: float  # two-sided exact McNemar

    def significant(self, alpha: float) -> bool:
        """True when the difference is unlikely under "no difference" at level `alpha`."""
        return self.p_value < alpha


def paired_compare(first_correct: np.ndarray, second_correct: np.ndarray) -> PairedResult:
    """McNemar's test on two boolean arrays of per-video correctness, in the same video order."""
    first, second = np.asarray(first_correct, dtype=bool), np.asarray(second_correct, dtype=bool)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"per-video correctness must be two 1-D arrays of one length; got {first.shape} "
                         f"and {second.shape}")
    b, c = int((first & ~second).sum()), int((~first & second).sum())
    return PairedResult(int(first.size), b, c, mcnemar_exact(b, c))


def accuracy_interval(top1: float | None, videos: int | None) -> list[float] | None:
    """95% Wilson interval (percent, one decimal) of a top-1 `top1` (percent) on `videos` videos; None if unknown."""
    if top1 is None or not videos:
        return None
    correct = round(top1 * videos / 100.0)
    return [round(v, 1) for v in wilson_interval(correct, videos)]
