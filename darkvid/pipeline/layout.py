"""Where the method's files live in a work directory laid out like the repository.

Experiment folders are the repository's (exp_adapt_bn/, exp_pseudo_stageN/, exp_experts/); their
prediction file names come from the same config loading run.sh does, so they cannot drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from .presets import REPO, Preset

MODELS = ("uniformer_b32_k600", "uniformer_b32_ssv2", "mvit_b32_k600", "sf32_k700")
EXPERT = "uniformer_b32_ssv2"
EXPERT_DIR = "exp_experts"
DATA = "data"
_TINY_BASE = re.compile(r"(configs/tiny/\S+\.yaml)")


def stage_dir(stage: int) -> str:
    """Experiment folder of a stage: 0 is the adapt-BN training, 1..4 the pseudo-label stages."""
    return "exp_adapt_bn" if stage == 0 else f"exp_pseudo_stage{stage}"


def stage_name(stage: int) -> str:
    """Short name of a stage in step names and the report."""
    return "adapt_bn" if stage == 0 else f"stage{stage}"


@dataclass(frozen=True)
class View:
    """A test setting: split, temporal views, spatial crops."""

    split: str
    views: int = 1
    crops: int = 1

    def overrides(self) -> list[str]:
        return ["TEST.DATA_SELECT", self.split, "TEST.NUM_ENSEMBLE_VIEWS", str(self.views),
                "TEST.NUM_SPATIAL_CROPS", str(self.crops)]

    @property
    def tag(self) -> str:
        return f"{self.split}_{self.views}x{self.crops}"

    @property
    def spec(self) -> str:
        """The view as a TEST.EXTRA_VIEWS entry."""
        return f"{self.split}:{self.views}:{self.crops}"


def cpu_base(exp: str) -> str:
    """The configs/tiny preset that an experiment's run.sh passes to launch_exp.sh."""
    script = REPO / exp / "run.sh"
    found = _TINY_BASE.search(script.read_text())
    if found is None:
        raise ValueError(f"{script}: names no configs/tiny/*.yaml preset for DARKVID_PRESET=tiny")
    return found.group(1)


@lru_cache(maxsize=None)
def _config(exp: str, darkvid_preset: Optional[str], extra: tuple[str, ...]):
    from darkvid.config import load_config

    base = str(REPO / cpu_base(exp)) if darkvid_preset == "tiny" else None
    return load_config(REPO / exp / "config.yaml", list(extra), base=base)


def _prediction_name(exp: str, darkvid_preset: Optional[str], view: View, extra: tuple[str, ...]) -> str:
    """darkvid.engine.tester.prediction_path's name (a test checks they agree; importing it costs torch)."""
    cfg = _config(exp, darkvid_preset, extra)
    return f"{view.split}x{cfg.DATA.NUM_FRAMES}x{cfg.DATA.TEST_CROP_SIZE}x{view.views}x{view.crops}.pkl"


def prediction_file(preset: Preset, exp: str, view: View, out_dir: Optional[str] = None) -> str:
    """Work-dir path of the prediction file test.sh writes for `exp` and `view` (into `out_dir`)."""
    return f"{out_dir or exp}/{_prediction_name(exp, preset.darkvid_preset, view, tuple(preset.run_overrides('all')))}"


def model_exp(stage: Optional[int], model: str) -> str:
    """Experiment folder of `model` at `stage` (None: the dense-sampling expert)."""
    return f"{EXPERT_DIR}/{model}" if stage is None else f"{stage_dir(stage)}/{model}"



def init_weights(exp: str, darkvid_preset: Optional[str]) -> Optional[str]:
    """TRAIN.CHECKPOINT_FILE_PATH of `exp` as run.sh resolves it, when it is a pre-trained file (pretrained/...)."""
    from darkvid.config import load_config

    base = REPO / cpu_base(exp) if darkvid_preset == "tiny" else None
    path = load_config(REPO / exp / "config.yaml", base=base).TRAIN.CHECKPOINT_FILE_PATH
    return path if path.startswith("pretrained/") else None


def config_files(exp: str, darkvid_preset: Optional[str]) -> tuple[str, ...]:
    """The YAML files run.sh reads for `exp`: its config.yaml, then the tiny base or its _BASE_ chain."""
    import yaml

    files, path = [REPO / exp / "config.yaml"], REPO / exp / "config.yaml"
    if darkvid_preset == "tiny":
        path = REPO / cpu_base(exp)
        files.append(path)
    else:
        path = (path.parent / yaml.safe_load(path.read_text())["_BASE_"]).resolve()
        files.append(path)
    while base := (yaml.safe_load(path.read_text()) or {}).get("_BASE_"):
        path = (path.parent / base).resolve()
        files.append(path)
    return tuple(str(f) for f in files)
