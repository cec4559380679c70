"""MODEL.CHANNELS_LAST changes the memory layout only: same logits and gradients, checkpoints load both ways."""
from __future__ import annotations

import io

import pytest
import torch

from darkvid.config import load_config
from darkvid.models import build_model
from tests.conftest import REPO_ROOT
from tests.models.same_function import assert_same_gradients

ARCHS = ("uniformer", "mvit", "sf")


def _pair(arch: str) -> tuple:
    """The tiny `arch` built contiguous and channels-last, with the same weights."""
    path = REPO_ROOT / "configs" / "tiny" / f"{arch}.yaml"
    plain = build_model(load_config(path, ["MODEL.CHANNELS_LAST", "False"]))
    fast = build_model(load_config(path, ["MODEL.CHANNELS_LAST", "True"]))
    fast.load_state_dict(plain.state_dict())
    cfg = load_config(path)
    size = cfg.DATA.TEST_CROP_SIZE
    clip = torch.randn(2, 3, cfg.DATA.NUM_FRAMES, size, size, generator=torch.Generator().manual_seed(3))
    return plain, fast, clip


@pytest.mark.parametrize("arch", ARCHS)
def test_tiny_presets_use_channels_last(arch: str) -> None:
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / f"{arch}.yaml")
    assert cfg.MODEL.CHANNELS_LAST
    convs = [m for m in build_model(cfg).modules() if isinstance(m, torch.nn.Conv3d)]
    assert convs and all(c.weight.is_contiguous(memory_format=torch.channels_last_3d) for c in convs)


@pytest.mark.parametrize("arch", ARCHS)
def test_same_logits_and_gradients_in_both_layouts(arch: str) -> None:
    plain, fast, clip = _pair(arch)
    plain.eval(), fast.eval()
    with torch.no_grad():
        expected = plain(clip)
        torch.testing.assert_close(fast(clip), expected, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(fast([clip]), expected, rtol=1e-4, atol=1e-5)
    assert_same_gradients(plain, fast, clip)


def test_checkpoints_move_between_layouts() -> None:
    plain, fast, clip = _pair("uniformer")
    buffer = io.BytesIO()
    torch.save(fast.state_dict(), buffer)
    buffer.seek(0)
    plain.load_state_dict(torch.load(buffer))
    plain.eval(), fast.eval()
    with torch.no_grad():
        torch.testing.assert_close(plain(clip), fast(clip), rtol=1e-4, atol=1e-5)
