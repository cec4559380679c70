"""Every shipped model preset builds: the CPU ones small, the GPU ones at the seed's exact size."""
from __future__ import annotations

import pytest
import torch

from darkvid.config import load_config
from darkvid.models import build_model
from darkvid.utils.flops import count_parameters
from tests.conftest import REPO_ROOT

TINY = sorted((REPO_ROOT / "configs" / "tiny").glob("*.yaml"))
GPU = sorted((REPO_ROOT / "configs" / "gpu").glob("[a-z]*.yaml"))

# The reference state dicts' sizes (../shared/reference/README.md): the seed's checkpoints fit
# only a network of exactly this size.
GPU_PARAMETERS = {
    "uniformer_b32_k600": 49_613_643,
    "uniformer_b32_ssv2": 49_613_643,
    "mvit_b32_k600": 52_816_139,
    "sf32_k700": 61_927_043,
}
TINY_MAX_PARAMETERS = 1_000_000


def test_every_preset_is_listed() -> None:
    assert {p.stem for p in GPU} == set(GPU_PARAMETERS)
    assert {p.stem for p in TINY} == {"uniformer", "uniformer_ssv2", "uniformer_dense", "mvit", "sf"}


@pytest.mark.parametrize("path", TINY, ids=lambda p: p.stem)
def test_tiny_preset_builds_small(path) -> None:
    cfg = load_config(path)
    model = build_model(cfg)
    assert 100_000 < count_parameters(model) < TINY_MAX_PARAMETERS
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    assert head.out_features == cfg.MODEL.NUM_CLASSES == 11


@pytest.mark.parametrize("path", GPU, ids=lambda p: p.stem)
def test_gpu_preset_builds_at_the_seeds_size(path) -> None:
    cfg = load_config(path)
    with torch.device("meta"):
        model = build_model(cfg)
    assert count_parameters(model) == GPU_PARAMETERS[path.stem]
    assert cfg.DATA.NUM_FRAMES == 32 and cfg.DATA.TEST_CROP_SIZE == 224
    assert cfg.TRAIN.CHECKPOINT_FILE_PATH.startswith("pretrained/")
