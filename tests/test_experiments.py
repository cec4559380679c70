"""The exp_* folders: every config loads on its GPU base and on its CPU preset, and stages chain."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from darkvid.config import load_config
from darkvid.pipeline.layout import cpu_base, cpu_presets

REPO = Path(__file__).resolve().parents[1]
EXP_DIRS = sorted(p.parent for p in REPO.glob("exp_*/*/config.yaml"))
MODELS = ("uniformer_b32_k600", "uniformer_b32_ssv2", "mvit_b32_k600", "sf32_k700")


def _cpu_preset(exp_dir: Path) -> Path:
    """The preset that tools/launch_exp.sh loads for DARKVID_PRESET=tiny (configs/experiments.yaml)."""
    return REPO / cpu_base(str(exp_dir.relative_to(REPO)))


def _launcher_argv(script: Path, cwd: Path, **env: str) -> list[str]:
    """What run.sh / test.sh would start, printed instead of run (DARKVID_LAUNCHER=echo)."""
    out = subprocess.run(["bash", str(script), "SOLVER.MAX_EPOCH", "1"], cwd=cwd, capture_output=True, text=True,
                         env=dict(os.environ, DARKVID_LAUNCHER="echo", **env), check=True)
    return out.stdout.split()


def test_the_design_card_layout_is_complete():
    names = {str(p.relative_to(REPO)) for p in EXP_DIRS}
    stages = ["exp_adapt_bn"] + [f"exp_pseudo_stage{i}" for i in range(1, 5)]
    expected = {f"{stage}/{m}" for stage in stages for m in MODELS}
    assert names == expected | {"exp_experts/uniformer_b32_ssv2"}
    for exp_dir in EXP_DIRS:
        for script in ("run.sh", "test.sh"):
            assert (exp_dir / script).stat().st_mode & 0o111, f"{exp_dir / script} is not executable"


def test_every_experiment_has_one_cpu_preset_that_exists():
    assert set(cpu_presets()) == {str(p.relative_to(REPO)) for p in EXP_DIRS}
    assert all((REPO / preset).is_file() for preset in cpu_presets().values())


@pytest.mark.parametrize("exp_dir", EXP_DIRS[::4], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_run_and_test_scripts_pass_the_tables_preset_from_any_directory(exp_dir, tmp_path):
    rel = exp_dir.relative_to(REPO)
    tiny = _launcher_argv(exp_dir / "run.sh", tmp_path, DARKVID_PRESET="tiny")
    assert tiny[1:] == ["--cfg", f"{exp_dir}/config.yaml", "--base", str(_cpu_preset(exp_dir)), "SOLVER.MAX_EPOCH", "1"]
    test = _launcher_argv(rel / "test.sh", REPO, DARKVID_PRESET="tiny")
    assert test[1:] == ["--cfg", f"{rel}/config.yaml", "--base", str(_cpu_preset(exp_dir)), "TRAIN.ENABLE", "False",
                        "SOLVER.MAX_EPOCH", "1"]
    assert "--base" not in _launcher_argv(rel / "run.sh", REPO, DARKVID_PRESET="gpu")


@pytest.mark.parametrize("exp_dir", EXP_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_config_loads_on_gpu_base_and_cpu_preset(exp_dir):
    gpu = load_config(exp_dir / "config.yaml")
    cpu = load_config(exp_dir / "config.yaml", base=_cpu_preset(exp_dir))
    rel = str(exp_dir.relative_to(REPO))
    for cfg in (gpu, cpu):
        assert cfg.OUTPUT_DIR == rel
        assert cfg.MODEL.ARCH == gpu.MODEL.ARCH
        assert cfg.TEST.DATA_SELECT == gpu.TEST.DATA_SELECT
        assert cfg.DATA.PSEUDO_CSV == gpu.DATA.PSEUDO_CSV
        assert cfg.TRAIN.DATASET == gpu.TRAIN.DATASET
    assert gpu.NUM_GPUS == 4 and gpu.DATA.NUM_FRAMES == 32 and gpu.RNG_SEED == 6666
    assert cpu.NUM_GPUS == 0 and cpu.DATA.TRAIN_CROP_SIZE == 64


@pytest.mark.parametrize("model", MODELS)
def test_each_stage_starts_from_the_previous_stage_and_its_pseudo_labels(model):
    previous = "exp_adapt_bn"
    for stage in range(1, 5):
        cfg = load_config(REPO / f"exp_pseudo_stage{stage}" / model / "config.yaml")
        assert cfg.TRAIN.CHECKPOINT_FILE_PATH == f"{previous}/{model}/best.pyth"
        assert cfg.TRAIN.CHECKPOINT_EPOCH_RESET
        assert cfg.DATA.PSEUDO_CSV == f"../pseudo/stage{stage}.csv"
        previous = f"exp_pseudo_stage{stage}"


def test_the_expert_samples_densely_on_the_last_pseudo_labels():
    cfg = load_config(REPO / "exp_experts" / "uniformer_b32_ssv2" / "config.yaml")
    assert (cfg.TRAIN.DATASET, cfg.TEST.DATASET) == ("ug2", "ug2")
    assert cfg.DATA.PSEUDO_CSV == "../pseudo/stage4.csv"


@pytest.mark.parametrize("model", MODELS)
def test_tiny_runs_start_from_shipped_weights_that_fit_and_stages_still_chain(model):
    import torch

    from darkvid.models import build_model
    from darkvid.utils.checkpoint import load_weights

    adapt = load_config(REPO / "exp_adapt_bn" / model / "config.yaml", base=_cpu_preset(REPO / "exp_adapt_bn" / model))
    weights = REPO / adapt.TRAIN.CHECKPOINT_FILE_PATH
    assert adapt.TRAIN.CHECKPOINT_FILE_PATH.startswith("pretrained/tiny/") and adapt.TRAIN.CHECKPOINT_EPOCH_RESET
    net = build_model(adapt)
    load_weights(weights, net, strict_head=True)  # every tensor, head included: nothing re-initialised
    saved = torch.load(weights, map_location="cpu", weights_only=True)["model_state"]
    assert all(torch.equal(net.state_dict()[k], v) for k, v in saved.items())
    stage1 = REPO / "exp_pseudo_stage1" / model
    assert load_config(stage1 / "config.yaml", base=_cpu_preset(stage1)).TRAIN.CHECKPOINT_FILE_PATH == \
        f"exp_adapt_bn/{model}/best.pyth"
    if model == "uniformer_b32_ssv2":  # the two UniFormers come from two pre-training runs
        k600 = REPO / "exp_adapt_bn/uniformer_b32_k600"
        other = load_config(k600 / "config.yaml", base=_cpu_preset(k600))
        assert other.TRAIN.CHECKPOINT_FILE_PATH != adapt.TRAIN.CHECKPOINT_FILE_PATH and other.RNG_SEED != adapt.RNG_SEED
