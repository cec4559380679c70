"""The models to apply: one run, or a work directory's (or bundle's) final ensemble with its vote.

A vote config names prediction files (`<run folder>/<split>x<frames>x<crop>x<views>x<crops>.pkl`,
as the tester writes them); each name is a member: the run folder's network (its `config.yaml` and
`best.pyth`) tested with that many views and crops. Members that share a run share one network.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from fvcore.common.config import CfgNode
from torch import nn

from darkvid.config import load_config
from darkvid.datasets.build import build_sampler, build_transform, split_gamma
from darkvid.datasets.gamma import GammaCorrection
from darkvid.models import build_model
from darkvid.utils.checkpoint import load_weights, read_checkpoint

from .clips import ClipPlan

if TYPE_CHECKING:
    from darkvid.ensemble.vote_config import VoteConfig

RUN_CONFIG, RUN_CHECKPOINT = "config.yaml", "best.pyth"
# The vote files a work directory's ensemble step writes, in order of preference.
VOTE_FILES = ("ensemble/vote_searched.yaml", "configs/vote_fixed.yaml")
# New videos get the test split's treatment (gamma when DATA.GAMMA_SPLITS lists it).
TEST_SPLIT = "test"
_PREDICTION_NAME = re.compile(r"^(?P<split>.+)x(?P<frames>\d+)x(?P<crop>\d+)x(?P<views>\d+)x(?P<crops>\d+)$")


class InferenceSetupError(ValueError):
    """A model, work directory or bundle that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Member:
    """One network tested with one views x crops setting."""

    name: str
    cfg: CfgNode
    checkpoint: Path
    views: int
    crops: int


def run_member(path: Path, cfg_file: Path | None = None, views: int | None = None,
               crops: int | None = None) -> Member:
    """A run folder (its config.yaml + best.pyth) or a checkpoint (with `cfg_file`, or the config it stores)."""
    path = Path(path)
    if path.is_dir():
        checkpoint, cfg_file = path / RUN_CHECKPOINT, cfg_file or path / RUN_CONFIG
    else:
        checkpoint = path
    if not checkpoint.is_file():
        raise InferenceSetupError(f"checkpoint not found: {checkpoint}")
    cfg = _load_cfg(cfg_file) if cfg_file is not None else _checkpoint_cfg(checkpoint)
    views = cfg.TEST.NUM_ENSEMBLE_VIEWS if views is None else views
    crops = cfg.TEST.NUM_SPATIAL_CROPS if crops is None else crops
    return Member(path.name if path.is_dir() else path.stem, cfg, checkpoint, int(views), int(crops))


def find_vote_file(work_dir: Path) -> Path:
    """The searched vote of a work directory when it has one, else its fixed vote."""
    for name in VOTE_FILES:
        if (Path(work_dir) / name).is_file():
            return Path(work_dir) / name
    raise InferenceSetupError(f"{work_dir}: no vote config ({' or '.join(VOTE_FILES)}); has the ensemble step run?")


def ensemble_members(vote_file: Path, root: Path) -> tuple[list[Member], VoteConfig]:
    """Every prediction the vote reads, as a member, with the parsed vote (paths relative to `root`)."""
    # Imported here: a single model needs none of the vote machinery.
    from darkvid.ensemble.vote_config import load_vote_config

    vote = load_vote_config(vote_file, root=str(root))
    members = []
    for name, prediction in vote.predictions.items():
        found = _PREDICTION_NAME.match(prediction.name.split(".")[0])
        if found is None:
            raise InferenceSetupError(f"{vote_file}: predictions.{name}: {prediction.name!r} is not "
                                      "SPLITxFRAMESxCROPxVIEWSxCROPS.pkl")
        run = prediction.parent
        cfg = _load_cfg(run / RUN_CONFIG)
        if (int(found["frames"]), int(found["crop"])) != (cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE):
            raise InferenceSetupError(f"{vote_file}: predictions.{name}: {prediction.name} was not made with "
                                      f"{run / RUN_CONFIG} (DATA.NUM_FRAMES {cfg.DATA.NUM_FRAMES}, "
                                      f"DATA.TEST_CROP_SIZE {cfg.DATA.TEST_CROP_SIZE})")
        if not (run / RUN_CHECKPOINT).is_file():
            raise InferenceSetupError(f"{vote_file}: predictions.{name}: checkpoint not found: {run / RUN_CHECKPOINT}")
        members.append(Member(name, cfg, run / RUN_CHECKPOINT, int(found["views"]), int(found["crops"])))
    return members, vote


def clip_plan(member: Member, gamma: str | None = None) -> ClipPlan:
    """The member's test-time treatment; `gamma` "none", "auto" or a number overrides its config."""
    cfg = member.cfg.clone()
    cfg.defrost()
    cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS = member.views, member.crops
    if member.crops not in (1, 3) or member.views < 1:
        raise InferenceSetupError(f"{member.name}: views must be >= 1 and crops 1 or 3; "
                                  f"got {member.views}x{member.crops}")
    return ClipPlan(build_sampler(cfg, False), build_transform(cfg, False), _gamma(cfg, gamma), member.crops)


def _gamma(cfg: CfgNode, choice: str | None) -> GammaCorrection | None:
    if choice is None:
        return split_gamma(cfg, TEST_SPLIT)
    if choice == "none":
        return None
    low, high = cfg.DATA.GAMMA_ADAPTIVE_RANGE
    if choice == "auto":
        return GammaCorrection("adaptive", cfg.DATA.GAMMA, cfg.DATA.GAMMA_TARGET_MEAN, (low, high))
    try:
        return GammaCorrection("fixed", float(choice))
    except ValueError:
        raise InferenceSetupError(f"--gamma must be a number, 'auto' or 'none'; got {choice!r}") from None


def load_networks(members: Sequence[Member], device: torch.device) -> tuple[list[nn.Module], list[int]]:
    """Build and load each distinct checkpoint once; returns the networks and each member's index."""
    networks: list[nn.Module] = []
    seen: dict = {}
    index = []
    for member in members:
        key = str(member.checkpoint.resolve())
        if key not in seen:
            model = build_model(member.cfg)
            load_weights(member.checkpoint, model, strict_head=True)
            networks.append(model.to(device).eval())
            seen[key] = len(networks) - 1
        index.append(seen[key])
    return networks, index


def class_names(members: Sequence[Member]) -> list[str]:
    """DATA.CLASS_NAMES, the same for every member (as many as MODEL.NUM_CLASSES)."""
    names = list(members[0].cfg.DATA.CLASS_NAMES)
    for member in members:
        if list(member.cfg.DATA.CLASS_NAMES) != names or member.cfg.MODEL.NUM_CLASSES != len(names):
            raise InferenceSetupError(f"{member.name}: DATA.CLASS_NAMES / MODEL.NUM_CLASSES differ from "
                                      f"{members[0].name}'s ({names})")
    return names


def _load_cfg(path: Path) -> CfgNode:
    if not Path(path).is_file():
        raise InferenceSetupError(f"config not found: {path}")
    return load_config(path)


def _checkpoint_cfg(checkpoint: Path) -> CfgNode:
    text = read_checkpoint(checkpoint).get("cfg")
    if not text:
        raise InferenceSetupError(f"{checkpoint} stores no config: pass --cfg")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / RUN_CONFIG
        path.write_text(text)
        return load_config(path)
