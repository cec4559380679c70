"""UniFormer: the seed's state-dict layout, the seed's outputs on a stored fixture, and training behaviour."""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F

from darkvid.config import ConfigError, load_config
from darkvid.models import build_model
from darkvid.models import uniformer as uniformer_module
from darkvid.models.uniformer import UniFormer, UniFormerConfig
from darkvid.models.uniformer_blocks import Attention
from tests.conftest import REPO_ROOT, shared_path

TINY_YAML = REPO_ROOT / "configs" / "tiny" / "uniformer.yaml"
SEED_YAML = ("seed_configs", "exp_adapt_bn", "uniformer_b32_k600", "config.yaml")

SMALL = UniFormerConfig(num_classes=5, embed_dims=(8, 16, 32, 64), depths=(1, 2, 2, 1), head_dim=16, drop_path_rate=0.2)


def _clip(batch: int = 2, frames: int = 4, size: int = 32, seed: int = 0) -> list:
    return [torch.randn(batch, 3, frames, size, size, generator=torch.Generator().manual_seed(seed))]


def _small(config: UniFormerConfig = SMALL, seed: int = 0) -> UniFormer:
    torch.manual_seed(seed)
    return UniFormer(config)


def test_full_model_has_the_seeds_state_dict_layout() -> None:
    reference = json.loads(shared_path("reference", "uniformer_full_keys.json").read_text())
    cfg = load_config(shared_path(*SEED_YAML))
    with torch.device("meta"):
        model = build_model(cfg)
    got = [[name, list(t.shape), str(t.dtype).removeprefix("torch.")] for name, t in model.state_dict().items()]
    assert got == reference["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == reference["num_params"]
    assert model.config.num_heads == (1, 2, 5, 8)
    assert model.config.checkpoint_num == (0, 0, 18, 0) and model.config.use_checkpoint


def test_tiny_fixture_reproduces_the_seeds_logits() -> None:
    fixture = torch.load(shared_path("reference", "uniformer_tiny_fixture.pt"), weights_only=True)
    hp, data = fixture["hyperparams"], fixture["data"]
    opts = [
        "UNIFORMER.EMBED_DIM", str(hp["EMBED_DIM"]), "UNIFORMER.DEPTH", str(hp["DEPTH"]),
        "UNIFORMER.HEAD_DIM", str(hp["HEAD_DIM"]), "UNIFORMER.MLP_RATIO", str(hp["MLP_RATIO"]),
        "UNIFORMER.QKV_BIAS", str(hp["QKV_BIAS"]), "UNIFORMER.DROP_DEPTH_RATE", str(hp["DROP_DEPTH_RATE"]),
        "DATA.NUM_FRAMES", str(data["NUM_FRAMES"]),
        "DATA.TRAIN_CROP_SIZE", str(data["CROP"]), "DATA.TEST_CROP_SIZE", str(data["CROP"]),
    ]
    model = build_model(load_config(None, opts))
    model.load_state_dict(fixture["state_dict"], strict=True)
    model.eval()
    assert fixture["output_is"] == "raw logits"
    with torch.no_grad():
        logits = model([fixture["input"]])
        assert torch.equal(model(fixture["input"]), logits)  # the plain tensor: the same clip
    torch.testing.assert_close(logits, fixture["logits"], atol=1e-4, rtol=0)


def test_attention_matches_explicit_softmax_attention() -> None:
    torch.manual_seed(0)
    attn = Attention(32, num_heads=2, qkv_bias=True, qk_scale=None, attn_drop=0.0, proj_drop=0.0)
    x = torch.randn(3, 10, 32)
    q, k, v = attn.qkv(x).reshape(3, 10, 3, 2, 16).permute(2, 0, 3, 1, 4)
    weights = (q @ k.transpose(-2, -1) * 16 ** -0.5).softmax(-1)
    expected = attn.proj((weights @ v).transpose(1, 2).reshape(3, 10, 32))
    torch.testing.assert_close(attn(x), expected, atol=1e-5, rtol=1e-5)


def test_forward_backward_gives_logits_and_gradients_everywhere() -> None:
    model = _small()
    logits = model(_clip(batch=3))
    assert logits.shape == (3, 5)
    F.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_train_and_eval_both_give_raw_logits() -> None:
    model = _small()
    x = _clip(batch=4)
    train_logits = model(x)
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)
        assert torch.equal(eval_logits, model(x))
    assert train_logits.shape == eval_logits.shape == (4, 5)
    assert not torch.allclose(eval_logits.sum(-1), torch.ones(4))  # not probabilities
    assert not torch.allclose(train_logits, eval_logits)  # batch statistics vs running statistics


def test_tiny_model_learns_a_small_batch() -> None:
    model = _small(dataclasses.replace(SMALL, drop_path_rate=0.0))
    x, y = _clip(batch=5, seed=1), torch.arange(5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_activation_checkpointing_gives_the_same_gradients_and_statistics(monkeypatch) -> None:
    calls = []
    real_checkpoint = uniformer_module.checkpoint
    monkeypatch.setattr(uniformer_module, "checkpoint", lambda *a, **k: calls.append(1) or real_checkpoint(*a, **k))
    plain = _small()
    ckpt = _small(dataclasses.replace(SMALL, use_checkpoint=True, checkpoint_num=(1, 2, 1, 5)))
    x = _clip(batch=3)
    for model in (plain, ckpt):
        torch.manual_seed(7)  # the same drop-path masks in both runs
        model(x).square().sum().backward()
    assert len(calls) == 1 + 2 + 1 + 1  # checkpointed blocks, capped by the stage depths
    for (name, p), (_, q) in zip(plain.named_parameters(), ckpt.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-6, rtol=1e-5, msg=name)
    for (name, a), (_, b) in zip(plain.named_buffers(), ckpt.named_buffers()):
        torch.testing.assert_close(a, b, msg=name)  # recomputation does not update BatchNorm twice
    calls.clear()
    ckpt.eval()
    ckpt(x).sum().backward()
    assert not calls  # only in training


def test_stochastic_depth_grows_linearly_over_blocks() -> None:
    model = _small()
    blocks = [b for i in range(1, 5) for b in getattr(model, f"blocks{i}")]
    assert isinstance(blocks[0].drop_path, torch.nn.Identity)
    rates = [b.drop_path.drop_prob for b in blocks[1:]]
    torch.testing.assert_close(torch.tensor(rates), torch.linspace(0, 0.2, len(blocks))[1:])


def test_config_keys_reach_the_network() -> None:
    cfg = load_config(None, ["UNIFORMER.EMBED_DIM", "[8, 16, 64, 128]", "UNIFORMER.DEPTH", "[1, 1, 1, 1]",
                             "UNIFORMER.HEAD_DIM", "32", "UNIFORMER.NUM_HEADS", "[9, 9, 9, 9]",
                             "UNIFORMER.HEAD_DROPOUT_RATE", "0.3", "MODEL.NUM_CLASSES", "4",
                             "DATA.CLASS_NAMES", "['a', 'b', 'c', 'd']"])
    model = build_model(cfg)
    assert model.blocks3[0].attn.num_heads == 2 and model.blocks4[0].attn.num_heads == 4
    assert model.head_drop.p == 0.3 and model.head.out_features == 4
    assert model.no_weight_decay() == set()


@pytest.mark.parametrize("opts, key", [
    (["UNIFORMER.SPLIT", "True"], "UNIFORMER.SPLIT"),
    (["UNIFORMER.STD", "True"], "UNIFORMER.STD"),
    (["UNIFORMER.EMBED_DIM", "[64, 128, 320, 500]"], "UNIFORMER.EMBED_DIM"),
    (["UNIFORMER.DEPTH", "[1, 1, 1]"], "UNIFORMER.EMBED_DIM / DEPTH"),
])
def test_unsupported_config_is_an_error_naming_the_key(opts: list, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        build_model(load_config(None, opts))


def test_tiny_yaml_builds_a_network_for_8x64x64_clips() -> None:
    cfg = load_config(TINY_YAML)
    model = build_model(cfg)
    assert isinstance(model, UniFormer) and cfg.MODEL.ARCH == "uniformer"
    assert sum(p.numel() for p in model.parameters()) < 500_000
    logits = model(_clip(batch=2, frames=cfg.DATA.NUM_FRAMES, size=cfg.DATA.TRAIN_CROP_SIZE))
    assert logits.shape == (2, cfg.MODEL.NUM_CLASSES)
