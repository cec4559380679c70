"""Frame sampling: the seed's uniform segments and PySlowFast's dense windows."""
import random

import pytest

from darkvid.datasets.sampling import FrameSampler, dense_indices, uniform_indices


def test_uniform_test_views_follow_the_seed_formula():
    # 20 frames, 8 segments of 19/8: starts round(2.375 * i), offset int(2.375 / (views + 1) * (k + 1)).
    assert uniform_indices(20, 8, view=0, num_views=1) == [1, 3, 6, 8, 11, 13, 15, 18]
    assert uniform_indices(20, 8, view=0, num_views=2) == [0, 2, 5, 7, 10, 12, 14, 17]
    assert uniform_indices(20, 8, view=1, num_views=2) == [1, 3, 6, 8, 11, 13, 15, 18]
    assert uniform_indices(33, 4, view=2, num_views=3) == [6, 14, 22, 30]


def test_uniform_training_draws_inside_each_segment():
    rng = random.Random(0)
    seen = set()
    for _ in range(300):
        idx = uniform_indices(20, 8, rng=rng)
        bounds = [(round(2.375 * i), round(2.375 * (i + 1))) for i in range(8)]
        assert all(lo <= i <= hi for i, (lo, hi) in zip(idx, bounds))
        seen.update(idx)
    assert seen == set(range(20))


def test_dense_test_windows_match_pyslowfast():
    # window 4 * 2 = 8 frames; slack 92; linspace(start, start + 7, 4) truncated.
    assert dense_indices(100, 4, 2, view=0, num_views=1) == [0, 2, 4, 7]
    assert dense_indices(100, 4, 2, view=2, num_views=3) == [61, 63, 66, 68]
    assert dense_indices(100, 4, 2, view=2, num_views=3, use_offset=True) == [92, 94, 96, 99]
    assert dense_indices(100, 4, 2, view=0, num_views=1, use_offset=True) == [46, 48, 50, 53]


def test_dense_training_window_starts_at_random():
    rng = random.Random(1)
    starts = {dense_indices(100, 4, 2, rng=rng)[0] for _ in range(200)}
    assert min(starts) >= 0 and max(starts) <= 92 and len(starts) > 50
    idx = dense_indices(100, 4, 2, rng=rng)
    assert idx[-1] - idx[0] == 7 or idx[-1] - idx[0] == 6


@pytest.mark.parametrize("length", [1, 2, 3, 7])
@pytest.mark.parametrize("kind", ["uniform", "dense"])
@pytest.mark.parametrize("view", [None, 0, 2])
def test_short_videos_repeat_frames(length, kind, view):
    sampler = FrameSampler(kind, num_frames=8, sampling_rate=4, num_views=3)
    idx = sampler(length, view, rng=random.Random(0))
    assert len(idx) == 8
    assert all(0 <= i < length for i in idx)
    assert idx == sorted(idx)


def test_empty_video_and_unknown_kind_are_errors():
    with pytest.raises(ValueError, match="0 frames"):
        uniform_indices(0, 8, view=0)
    with pytest.raises(ValueError, match="unknown frame sampling"):
        FrameSampler("sparse", 8)
