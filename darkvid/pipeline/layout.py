"""Where the method's files live in a work directory laid out like the repository.

Experiment folders are the repository's (exp_adapt_bn/, exp_pseudo_stageN/, exp_experts/); their
prediction file names come from the same config loading run.sh does and the tester's own naming
function, and their CPU presets from the table tools/launch_exp.sh reads, so they cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from darkvid.predictions import prediction_file_name

from .data_root import PSEUDO_DIR
from .presets import REPO, Preset

MODELS = ("uniformer_b32_k600", "uniformer_b32_ssv2", "mvit_b32_k600", "sf32_k700")
EXPERT = "uniformer_b32_ssv2"
EXPERT_DIR = "exp_experts"
EXPERIMENTS = REPO / "configs" / "experiments.yaml"


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
    """The configs/tiny preset of `exp` that tools/launch_exp.sh loads for DARKVID_PRESET=tiny."""
    presets = cpu_presets()
    if exp not in presets:
        raise ValueError(f"{EXPERIMENTS}: no CPU preset for {exp}")
    return presets[exp]


@cache
def cpu_presets() -> dict[str, str]:
    """configs/experiments.yaml: experiment folder -> its CPU preset (also read by launch_exp.sh)."""
    import yaml

    data = yaml.safe_load(EXPERIMENTS.read_text()) or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{EXPERIMENTS}: expected one `exp_dir: configs/tiny/preset.yaml` a line")
    return data


def _base(exp: str, darkvid_preset: str | None) -> Path | None:
    """What launch_exp.sh passes as --base: the CPU preset for DARKVID_PRESET=tiny, else nothing."""
    return REPO / cpu_base(exp) if darkvid_preset == "tiny" else None


@cache
def experiment_config(exp: str, darkvid_preset: str | None, extra: tuple[str, ...]):
    """The config run.sh / test.sh of `exp` loads with the `extra` overrides (paths relative to the run's folder)."""
    from darkvid.config import load_config

    return load_config(REPO / exp / "config.yaml", list(extra), base=_base(exp, darkvid_preset))


def _prediction_name(exp: str, darkvid_preset: str | None, view: View, extra: tuple[str, ...]) -> str:
    """The tester's name for the predictions of `view` by `exp` run with `extra` overrides."""
    cfg = experiment_config(exp, darkvid_preset, extra)
    return prediction_file_name(view.split, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE, view.views, view.crops)


def prediction_file(preset: Preset, exp: str, view: View, out_dir: str | None = None) -> str:
    """Work-dir path of the prediction file test.sh writes for `exp` and `view` (into `out_dir`)."""
    return f"{out_dir or exp}/{_prediction_name(exp, preset.darkvid_preset, view, tuple(preset.run_overrides('all')))}"


def model_exp(stage: int | None, model: str) -> str:
    """Experiment folder of `model` at `stage` (None: the dense-sampling expert)."""
    return f"{EXPERT_DIR}/{model}" if stage is None else f"{stage_dir(stage)}/{model}"



def init_weights(exp: str, darkvid_preset: str | None) -> str | None:
    """TRAIN.CHECKPOINT_FILE_PATH of `exp` as run.sh resolves it, when it is a pre-trained file (pretrained/...)."""
    path = experiment_config(exp, darkvid_preset, ()).TRAIN.CHECKPOINT_FILE_PATH
    return path if path.startswith("pretrained/") else None


def config_files(exp: str, darkvid_preset: str | None) -> tuple[str, ...]:
    """The YAML files run.sh reads for `exp` (the config loader's own chain, its config.yaml first)."""
    from darkvid.config import config_files as loader_files

    files = loader_files(REPO / exp / "config.yaml", base=_base(exp, darkvid_preset))
    return (str(files[0]), *(str(f.resolve()) for f in files[1:]))


def pseudo_csv(stage: int) -> str:
    """Work-dir path of stage `stage`'s pseudo labels (beside data/, never inside the data root)."""
    return f"{PSEUDO_DIR}/stage{stage}.csv"


def pseudo_csv_from_data(stage: int) -> str:
    """The same file as DATA.PSEUDO_CSV and the generator's `out` name it: relative to data/."""
    return f"../{pseudo_csv(stage)}"
