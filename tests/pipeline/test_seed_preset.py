"""The seed preset: its overrides are real config keys, its pseudo labels use the seed's fixed presets."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from darkvid.config import load_config
from darkvid.pipeline.genconf import pseudo_config
from darkvid.pipeline.presets import REPO, PresetError, load_preset


@pytest.mark.parametrize("name", ["full", "seed", "smoke"])
def test_every_override_loads_on_every_experiment(name: str) -> None:
    """Every GPU preset autocasts and clips every model at L2 norm 20, as the seed's loops did."""
    preset = load_preset(name)
    for kind, folder in (("adapt", "exp_adapt_bn"), ("stage", "exp_pseudo_stage2"), ("expert", "exp_experts")):
        for config in sorted((REPO / folder).glob("*/config.yaml")):
            cfg = load_config(config, preset.run_overrides(kind, config.parent.name))
            assert cfg.TRAIN.MIXED_PRECISION and cfg.SOLVER.CLIP_GRAD_L2NORM == 20.0, (name, config)
            if name == "seed":
                assert "train_pseudo_label" not in cfg.DATA.GAMMA_SPLITS and not cfg.BN.ADAPT_GAMMA


def test_seed_pseudo_labels_use_the_fixed_stage_presets() -> None:
    preset = load_preset("seed")
    assert preset.fixed_thresholds and not preset.vote_search
    pool = {"uniformer_b32_k600": "exp/x.pkl"}
    for stage in (1, 4):
        data = pseudo_config(preset, stage, pool, {})
        shipped = yaml.safe_load((REPO / f"gen_pseudo_tools/presets/stage{stage}.yaml").read_text())
        assert data["thresholds"] == shipped["thresholds"] and data["weights"] == shipped["weights"]
        assert data["predictions"] == pool and "auto" not in data


def test_unknown_threshold_mode_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("pseudo: {thresholds: manual}\n")
    with pytest.raises(PresetError, match="thresholds"):
        load_preset(str(path))
