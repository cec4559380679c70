"""FLOP and parameter counting: the attention handle matches fvcore's matmul counting."""
from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F
from fvcore.nn import FlopCountAnalysis
from torch import nn

from darkvid.config import load_config
from darkvid.models import build_model
from darkvid.utils.flops import clip_input, count_flops, count_parameters, flop_analysis, model_summary
from tests.conftest import REPO_ROOT


class TinyAttention(nn.Module):
    """Self-attention over [B, N, C] tokens, fused or as two explicit products."""

    def __init__(self, dim: int = 16, heads: int = 2, fused: bool = True) -> None:
        super().__init__()
        self.heads, self.fused = heads, fused
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        if self.fused:
            return F.scaled_dot_product_attention(q, k, v)
        attn = (q @ k.transpose(-2, -1) * (dim // self.heads) ** -0.5).softmax(dim=-1)
        return attn @ v


def test_sdpa_handle_counts_what_fvcore_counts_for_explicit_matmuls() -> None:
    x = torch.randn(3, 10, 16)
    fused = flop_analysis(TinyAttention(fused=True), (x,)).by_operator()
    explicit = flop_analysis(TinyAttention(fused=False), (x,)).by_operator()
    batch, heads, tokens, head_dim = 3, 2, 10, 8
    assert fused["scaled_dot_product_attention"] == 2 * batch * heads * tokens * tokens * head_dim
    assert fused["scaled_dot_product_attention"] == explicit["matmul"]
    assert fused["linear"] == explicit["linear"] == 3 * 10 * 16 * 48


def test_cross_attention_uses_key_length_and_value_width() -> None:
    class Cross(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(2, 4, 5, 8), torch.randn(2, 4, 7, 8), torch.randn(2, 4, 7, 6)
    assert flop_analysis(Cross(), (q, k, v)).total() == 2 * 4 * 5 * 7 * (8 + 6)


def test_plain_fvcore_misses_attention_that_count_flops_adds() -> None:
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / "uniformer.yaml")
    model = build_model(cfg).eval()
    inputs = clip_input(cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE)
    ours = flop_analysis(model, inputs)
    plain = FlopCountAnalysis(model, inputs).unsupported_ops_warnings(False)
    attention = ours.by_operator()["scaled_dot_product_attention"]
    assert attention > 0
    assert ours.total() == plain.total() + attention
    assert count_flops(model, inputs) == pytest.approx(ours.total() / 1e9)


@pytest.mark.parametrize("preset", ["uniformer", "mvit", "sf"])
def test_tiny_presets_have_no_unsupported_ops(preset: str, caplog) -> None:
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / f"{preset}.yaml")
    model = build_model(cfg)
    with caplog.at_level(logging.WARNING, logger="fvcore"):
        summary = model_summary(model, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE)
    assert caplog.records == []
    assert model.training, "count_flops must restore training mode"
    assert summary.endswith(f"GFLOPs per {cfg.DATA.NUM_FRAMES}x64x64 clip")


def test_costly_ops_without_handle_still_warn(caplog) -> None:
    class Spectral(nn.Module):
        def forward(self, x):
            return torch.fft.fft(x).abs() + x

    with caplog.at_level(logging.WARNING, logger="fvcore"):
        flop_analysis(Spectral(), (torch.randn(4, 8),)).total()
    assert "aten::fft_fft" in caplog.text
    assert "aten::add" not in caplog.text


def test_parameter_count_of_known_modules() -> None:
    linear = nn.Linear(10, 5)
    conv = nn.Conv3d(3, 8, (3, 7, 7), bias=False)
    model = nn.Sequential(conv, nn.BatchNorm3d(8), linear, linear)
    assert count_parameters(model) == 3 * 8 * 3 * 7 * 7 + 2 * 8 + 10 * 5 + 5
    conv.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 2 * 8 + 10 * 5 + 5
