import math

import pytest

from darkvid.config import ConfigError, get_cfg, merge_overrides
from darkvid.engine.schedule import LRSchedule, build_schedule


def _schedule(**kw):
    base = dict(base_lr=1e-3, end_lr=1e-5, max_epoch=20.0, warmup_epochs=10.0, warmup_start_lr=1e-6)
    base.update(kw)
    return LRSchedule(**base)


def test_warmup_starts_at_start_lr_and_reaches_base_lr():
    s = _schedule()
    assert s(0.0) == pytest.approx(1e-6)
    assert s(5.0) == pytest.approx((1e-6 + 1e-3) / 2)
    assert s(10.0) == pytest.approx(1e-3)
    assert s(10.0 - 1e-9) == pytest.approx(1e-3, rel=1e-6)


def test_cosine_after_warmup_midpoint_and_end():
    s = _schedule()
    assert s(15.0) == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.5)
    assert s(20.0) == pytest.approx(1e-5)


def test_cosine_over_all_epochs_warms_up_to_the_curve_value():
    s = _schedule(cosine_after_warmup=False)
    at_warmup_end = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * 10 / 20))
    assert s(10.0) == pytest.approx(at_warmup_end)
    assert s(5.0) == pytest.approx(1e-6 + (at_warmup_end - 1e-6) * 0.5)
    assert s(20.0) == pytest.approx(1e-5)


def test_fractional_warmup_is_per_iteration():
    s = _schedule(max_epoch=4.0, warmup_epochs=0.5, warmup_start_lr=0.0)
    assert s(0.25) == pytest.approx(0.5e-3)
    assert s(0.5) == pytest.approx(1e-3)
    assert s(0.5 + 3.5 / 2) == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.5)


def test_no_warmup_and_constant_policy():
    assert _schedule(warmup_epochs=0.0)(0.0) == pytest.approx(1e-3)
    assert _schedule(policy="constant")(15.0) == pytest.approx(1e-3)


def test_build_schedule_reads_solver_and_rejects_bad_warmup():
    cfg = get_cfg()
    merge_overrides(cfg, ["SOLVER.BASE_LR", "0.01", "SOLVER.WARMUP_EPOCHS", "2.5", "SOLVER.MAX_EPOCH", "5",
                          "SOLVER.BASE_LR_SCALE_NUM_SHARDS", "True"])
    s = build_schedule(cfg, num_shards=2)
    assert s.base_lr == pytest.approx(0.02) and s.warmup_epochs == 2.5
    merge_overrides(cfg, ["SOLVER.WARMUP_EPOCHS", "5.0"])
    with pytest.raises(ConfigError, match="SOLVER.WARMUP_EPOCHS"):
        build_schedule(cfg)
