"""MViT v1: the seed's state-dict layout, the seed's outputs on a stored fixture, and training behaviour."""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from darkvid.config import ConfigError, get_cfg, load_config, validate_config
from darkvid.models import build_model
from darkvid.models.mvit import MViT, MViTConfig, block_layout
from darkvid.models.mvit_config import round_width
from tests.conftest import REPO_ROOT, shared_path

TINY_YAML = REPO_ROOT / "configs" / "tiny" / "mvit.yaml"

SMALL = MViTConfig(
    num_classes=5, input_thw=(4, 32, 32), embed_dim=16, num_heads=1, depth=3,
    patch_padding=(1, 3, 3), sep_pos_embed=True, dim_mul=((1, 2.0),), head_mul=((1, 2.0),),
    pool_q_stride=((1, 1, 2, 2),), pool_kv_stride_adaptive=(1, 4, 4), drop_path_rate=0.0,
    head_dropout_rate=0.0,
)

MVIT_B_KV_STRIDES = [(1, 8, 8)] * 2 + [(1, 4, 4)] * 3 + [(1, 2, 2)] * 16 + [(1, 1, 1)] * 3


def _clip(batch: int = 2, config: MViTConfig = SMALL, seed: int = 0) -> list:
    t, h, w = config.input_thw
    return [torch.randn(batch, 3, t, h, w, generator=torch.Generator().manual_seed(seed))]


def test_round_width_follows_pyslowfast() -> None:
    assert round_width(96, 2.0, divisor=2) == 192
    assert round_width(96, 1.0, divisor=2) == 96
    assert round_width(1, 2.0) == 2
    assert round_width(30, 1.5, divisor=8) == 48  # 45 rounds to 48, a multiple of 8
    assert round_width(10, 0) == 10


def test_block_layout_of_mvit_b() -> None:
    config = MViTConfig(
        num_classes=11, input_thw=(32, 224, 224), depth=24, dim_mul=((2, 2.0), (5, 2.0), (21, 2.0)),
        head_mul=((2, 2.0), (5, 2.0), (21, 2.0)), pool_q_stride=((2, 1, 2, 2), (5, 1, 2, 2), (21, 1, 2, 2)),
        pool_kv_stride_adaptive=(1, 8, 8), drop_path_rate=0.3,
    )
    specs = block_layout(config)
    assert [s.dim for s in specs] == [96] * 2 + [192] * 3 + [384] * 16 + [768] * 3
    assert [s.num_heads for s in specs] == [1] * 2 + [2] * 3 + [4] * 16 + [8] * 3
    assert [s.dim_out for s in specs[:2]] == [96, 192] and specs[20].dim_out == 768
    assert [s.stride_kv for s in specs] == MVIT_B_KV_STRIDES
    assert specs[0].kernel_kv == (1, 9, 9) and specs[21].kernel_kv == (1, 1, 1)
    assert [i for i, s in enumerate(specs) if s.stride_q] == [2, 5, 21]
    assert specs[2].kernel_q == (1, 3, 3)
    assert specs[0].drop_path == 0.0 and specs[-1].drop_path == pytest.approx(0.3)


def test_full_model_matches_seed_state_dict_keys() -> None:
    cfg = load_config(shared_path("seed_configs", "exp_adapt_bn", "mvit_b32_k600", "config.yaml"))
    reference = json.loads(shared_path("reference", "mvit_full_keys.json").read_text())
    model = build_model(cfg)
    expected = {name: (tuple(shape), dtype) for name, shape, dtype in reference["state_dict"]}
    actual = {name: (tuple(t.shape), str(t.dtype).removeprefix("torch.")) for name, t in model.state_dict().items()}
    assert sorted(set(expected) - set(actual)) == [], "missing keys"
    assert sorted(set(actual) - set(expected)) == [], "unexpected keys"
    assert {k: v for k, v in actual.items() if expected[k] != v} == {}, "shape or dtype differs"
    assert sum(p.numel() for p in model.parameters()) == reference["num_params"]
    assert model.blocks[21].attn.pool_k is None and model.blocks[20].attn.pool_k is not None


def _fixture_model(fixture: dict) -> MViT:
    cfg = get_cfg()
    cfg.MODEL.ARCH = "mvit"
    for key, value in fixture["hyperparams"].items():
        cfg.MVIT[key] = value
    cfg.DATA.NUM_FRAMES = fixture["data"]["NUM_FRAMES"]
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = fixture["data"]["CROP"]
    validate_config(cfg)
    return build_model(cfg)


def test_tiny_fixture_reproduces_seed_outputs() -> None:
    fixture = torch.load(shared_path("reference", "mvit_tiny_fixture.pt"), weights_only=True)
    model = _fixture_model(fixture)
    model.load_state_dict(fixture["state_dict"], strict=True)
    model.eval()
    with torch.no_grad():
        logits = model([fixture["input"]])
        assert torch.equal(model(fixture["input"]), logits)  # the plain tensor: the same clip
    assert "probabilities" in fixture["output_is"]
    expected = fixture["logits"]
    torch.testing.assert_close(logits.softmax(-1), expected, atol=1e-4, rtol=0)
    torch.testing.assert_close(logits.log_softmax(-1), expected.log(), atol=1e-4, rtol=0)


def test_forward_backward_gives_logits_and_gradients() -> None:
    torch.manual_seed(0)
    model = MViT(SMALL)
    out = model(_clip())
    assert out.shape == (2, 5)
    out.sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []
    model.eval()
    with torch.no_grad():
        eval_out = model(_clip())
    torch.testing.assert_close(eval_out, out.detach())  # same raw logits in eval: no softmax
    assert not torch.allclose(eval_out.sum(-1), torch.ones(2))


def test_token_grid_shrinks_at_query_pooling() -> None:
    model = MViT(SMALL)
    x, thw = model.patch_embed(_clip()[0])
    assert thw == (2, 8, 8)
    x = torch.cat([model.cls_token.expand(2, -1, -1), x], dim=1)
    x, thw = model.blocks[0](x, thw)
    assert x.shape == (2, 1 + 2 * 8 * 8, 32) and thw == (2, 8, 8)
    x, thw = model.blocks[1](x, thw)
    assert x.shape == (2, 1 + 2 * 4 * 4, 32) and thw == (2, 4, 4)


def test_activation_checkpointing_gives_same_gradients() -> None:
    torch.manual_seed(0)
    plain = MViT(SMALL)
    checkpointed = MViT(dataclasses.replace(SMALL, use_checkpoint=True))
    checkpointed.load_state_dict(plain.state_dict())
    for model in (plain, checkpointed):
        model(_clip()).square().sum().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(), checkpointed.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_drop_path_is_random_in_training_only() -> None:
    model = MViT(dataclasses.replace(SMALL, drop_path_rate=0.5))
    clip = _clip()
    torch.manual_seed(1)
    first = model(clip)
    second = model(clip)
    assert not torch.allclose(first, second)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(clip), model(clip))


def test_other_clip_size_interpolates_position_embeddings() -> None:
    model = MViT(SMALL).eval()
    with torch.no_grad():
        out = model([torch.randn(1, 3, 8, 48, 48)])
    assert out.shape == (1, 5) and torch.isfinite(out).all()


def test_no_weight_decay_names_follow_zero_decay_pos_cls() -> None:
    assert MViT(SMALL).no_weight_decay() == {"pos_embed_spatial", "pos_embed_temporal", "pos_embed_class", "cls_token"}
    assert MViT(dataclasses.replace(SMALL, sep_pos_embed=False)).no_weight_decay() == {"pos_embed", "cls_token"}
    assert MViT(dataclasses.replace(SMALL, zero_decay_pos_cls=False)).no_weight_decay() == set()


def test_without_class_token_pools_the_mean() -> None:
    model = MViT(dataclasses.replace(SMALL, cls_embed_on=False, sep_pos_embed=False))
    assert "cls_token" not in dict(model.named_parameters())
    assert model(_clip()).shape == (2, 5)


@pytest.mark.parametrize("key, value", [("MVIT.POOL_FIRST", "True"), ("MVIT.NORM", "batchnorm"),
                                        ("MVIT.DIM_MUL", "[[9, 2.0]]"), ("MVIT.PATCH_STRIDE", "[2, 4]"),
                                        ("MVIT.PATCH_PADDING", "[2, 4, 4]")])
def test_unsupported_settings_are_rejected(key: str, value: str) -> None:
    cfg = load_config(TINY_YAML, [key, value])
    with pytest.raises(ConfigError, match=key.split(".")[1]):
        build_model(cfg)


def test_tiny_config_builds_and_trains_one_step() -> None:
    cfg = load_config(TINY_YAML)
    assert cfg.MODEL.ARCH == "mvit" and cfg.NUM_GPUS == 0
    torch.manual_seed(0)
    model = build_model(cfg)
    clip = [torch.randn(2, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE)]
    labels = torch.tensor([0, 3])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(model(clip), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
