"""Amp.create follows TRAIN.MIXED_PRECISION_DTYPE; torch.cuda's bf16 support is mocked (no GPU needed)."""
from __future__ import annotations

from unittest import mock

import pytest
import torch

from darkvid.config import ConfigError, get_cfg, load_config
from darkvid.engine.amp import Amp
from darkvid.pipeline.presets import REPO, load_preset

CUDA = torch.device("cuda")


def _create(dtype: str, bf16: bool) -> Amp:
    """Amp.create on a (mocked) GPU with or without bf16; the scaler is a stand-in, so no CUDA is touched."""
    with mock.patch("torch.cuda.is_bf16_supported", return_value=bf16), \
            mock.patch("torch.amp.GradScaler", return_value="scaler") as scaler:
        amp = Amp.create(True, CUDA, dtype)
    assert scaler.call_count == (amp.dtype == torch.float16)
    return amp


@pytest.mark.parametrize("dtype, bf16, expected", [
    ("auto", True, torch.bfloat16), ("auto", False, torch.float16),
    ("fp16", True, torch.float16), ("fp16", False, torch.float16),
    ("bf16", True, torch.bfloat16),
])
def test_dtype_and_scaler(dtype: str, bf16: bool, expected: torch.dtype) -> None:
    amp = _create(dtype, bf16)
    assert amp.device_type == "cuda" and amp.dtype == expected
    assert (amp.scaler is not None) == (expected == torch.float16)  # fp16 always scales its loss


def test_bf16_without_gpu_support_names_the_key() -> None:
    with pytest.raises(ConfigError, match="TRAIN.MIXED_PRECISION_DTYPE"):
        _create("bf16", False)


@pytest.mark.parametrize("enabled, device", [(False, CUDA), (True, torch.device("cpu"))])
def test_full_precision_when_off_or_on_the_cpu(enabled: bool, device: torch.device) -> None:
    with mock.patch("torch.cuda.is_bf16_supported", side_effect=AssertionError("no GPU query expected")):
        amp = Amp.create(enabled, device, "fp16")
    assert amp.dtype is None and amp.scaler is None and amp.device_type == device.type


def test_unknown_dtype_is_refused_by_amp_and_by_the_config_loader() -> None:
    with pytest.raises(ConfigError, match="TRAIN.MIXED_PRECISION_DTYPE"):
        Amp.create(True, CUDA, "fp8")
    with pytest.raises(ConfigError, match="TRAIN.MIXED_PRECISION_DTYPE"):
        load_config(REPO / "exp_adapt_bn" / "sf32_k700" / "config.yaml", ["TRAIN.MIXED_PRECISION_DTYPE", "fp8"])


def test_seed_preset_takes_fp16_and_full_keeps_auto() -> None:
    assert get_cfg().TRAIN.MIXED_PRECISION_DTYPE == "auto"
    config = REPO / "exp_pseudo_stage1" / "mvit_b32_k600" / "config.yaml"
    for preset, expected in (("seed", "fp16"), ("full", "auto")):
        cfg = load_config(config, load_preset(preset).run_overrides("stage", "mvit_b32_k600"))
        assert cfg.TRAIN.MIXED_PRECISION_DTYPE == expected, preset


def test_tiny_cpu_configs_leave_amp_off() -> None:
    for path in sorted((REPO / "configs" / "tiny").glob("*.yaml")):
        assert not load_config(path).TRAIN.MIXED_PRECISION, path
