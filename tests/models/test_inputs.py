"""Every model takes a plain clip tensor and PySlowFast's one-element pathway list alike.

The reference fixtures are checked both ways in each model's own test file.
"""
from __future__ import annotations

import pytest
import torch

from darkvid.config import load_config
from darkvid.models import build_model
from darkvid.models.inputs import as_clip
from tests.conftest import REPO_ROOT

ARCHS = ("uniformer", "mvit", "sf")


@pytest.mark.parametrize("arch", ARCHS)
def test_plain_tensor_and_pathway_list_give_identical_logits(arch: str) -> None:
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / f"{arch}.yaml")
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    size = cfg.DATA.TEST_CROP_SIZE
    clip = torch.randn(2, 3, cfg.DATA.NUM_FRAMES, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        plain, listed = model(clip), model([clip])
    assert plain.shape == (2, cfg.MODEL.NUM_CLASSES)
    assert torch.equal(plain, listed)


@pytest.mark.parametrize("bad", [
    [torch.zeros(1, 3, 4, 8, 8), torch.zeros(1, 3, 16, 8, 8)],  # a [slow, fast] pair
    torch.zeros(3, 4, 8, 8),                                    # no batch axis
    [],
])
def test_other_inputs_are_refused_with_their_shapes(bad) -> None:
    with pytest.raises(ValueError, match=r"SF takes a clip \[B, C, T, H, W\] or a list of one; got shapes"):
        as_clip(bad, "SF")
