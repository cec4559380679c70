"""SF (SlowFast-R101 of the seed): checkpoint compatibility, exact outputs, training behaviour."""
from __future__ import annotations

import copy
import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F

from darkvid.config import ConfigError, load_config
from darkvid.models import build_model
from darkvid.models.resnet3d_blocks import batchnorm_layers
from darkvid.models.slowfast import SF, SlowFastConfig
from tests.conftest import REPO_ROOT, shared_path

TINY = SlowFastConfig(blocks_per_stage=(2, 1, 1, 1), width_per_group=16)


def _tiny_model(**changes) -> SF:
    torch.manual_seed(0)
    model = SF(dataclasses.replace(TINY, **changes))
    for bn in batchnorm_layers(model):  # non-zero residual branches, so every block matters
        torch.nn.init.uniform_(bn.weight, 0.5, 1.5)
    return model


def _clip(batch: int = 2, frames: int = 8, size: int = 32) -> torch.Tensor:
    return torch.randn(batch, 3, frames, size, size, generator=torch.Generator().manual_seed(1))


def test_full_model_has_exactly_the_reference_state_dict():
    reference = json.loads(shared_path("reference", "sf_full_keys.json").read_text())
    cfg = load_config(shared_path("seed_configs", "exp_adapt_bn", "sf32_k700", "config.yaml"))
    model = build_model(cfg)
    expected = {key: (list(shape), dtype) for key, shape, dtype in reference["state_dict"]}
    actual = {key: (list(t.shape), str(t.dtype).removeprefix("torch.")) for key, t in model.state_dict().items()}
    assert sorted(set(expected) - set(actual)) == []
    assert sorted(set(actual) - set(expected)) == []
    assert {k: v for k, v in actual.items() if expected[k] != v} == {}
    assert sum(p.numel() for p in model.parameters()) == reference["num_params"]


def test_tiny_fixture_logits_match_the_reference_code():
    fixture = torch.load(shared_path("reference", "sf_tiny_fixture.pt"), weights_only=True)
    cfg = load_config(None, ["MODEL.ARCH", "sf", "SF.BLOCKS_PER_STAGE", "[1, 1, 2, 1]",
                             "SF.DROPOUT_RATE", str(fixture["hyperparams"]["DROPOUT_RATE"])])
    model = build_model(cfg).eval()
    state = {k: v.float() if v.is_floating_point() else v for k, v in fixture["state_dict"].items()}
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        logits = model([fixture["input"]])
        assert torch.equal(model(fixture["input"]), logits)  # the plain tensor: the same clip
    torch.testing.assert_close(logits, fixture["logits"], atol=1e-4, rtol=0)


def test_slow_pathway_sees_every_fourth_frame():
    model = _tiny_model().eval()
    seen = []
    model.slow.conv1.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    clip = _clip(frames=16)
    with torch.no_grad():
        model([clip])
    torch.testing.assert_close(seen[0], clip[:, :, [0, 4, 8, 12]], atol=0, rtol=0)


def test_fast_last_stage_is_never_run_nor_trained():
    model = _tiny_model().train()
    calls = []
    model.fast.res_nl4.register_forward_hook(lambda *args: calls.append(1))
    model([_clip()]).sum().backward()
    model.eval()
    with torch.no_grad():
        model([_clip()])
    assert calls == []
    assert all(not p.requires_grad and p.grad is None for p in model.fast.res_nl4.parameters())
    assert "fast.res_nl4.res_0.shortcut.conv.weight" in model.state_dict()


def test_forward_backward_reaches_every_trainable_parameter():
    model = _tiny_model(dropout_rate=0.3).train()
    logits = model([_clip()])
    assert logits.shape == (2, 11)
    F.cross_entropy(logits, torch.tensor([3, 7])).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert missing == []


@pytest.mark.parametrize("training", [True, False])
def test_outputs_are_raw_logits(training):
    model = _tiny_model().train(training)
    bias = torch.linspace(-3.0, 5.0, 11)
    with torch.no_grad():
        model.projection.weight.zero_()
        model.projection.bias.copy_(bias)
        logits = model([_clip()])
    torch.testing.assert_close(logits, bias.expand(2, 11), atol=0, rtol=0)


def test_activation_checkpointing_keeps_gradients_and_bn_statistics():
    plain = _tiny_model().train()
    ckpt = _tiny_model(checkpoint_blocks=(2, 1, 1, 0)).train()
    ckpt.load_state_dict(plain.state_dict())
    block_calls = []
    ckpt.slow.res_nl1.res_0.register_forward_pre_hook(lambda *args: block_calls.append(1))
    for model in (plain, ckpt):
        F.cross_entropy(model([_clip()]), torch.tensor([1, 2])).backward()
    assert len(block_calls) == 2, "the checkpointed block should run again in backward"
    grads = dict(plain.named_parameters())
    for name, param in ckpt.named_parameters():
        if param.requires_grad:
            torch.testing.assert_close(param.grad, grads[name].grad, atol=1e-6, rtol=1e-5, msg=name)
    for name, buf in ckpt.named_buffers():
        torch.testing.assert_close(buf, plain.get_buffer(name), atol=0, rtol=0, msg=name)


def test_checkpointing_is_off_in_eval_and_without_grad():
    model = _tiny_model(checkpoint_blocks=(1, 0, 0, 0)).train()
    calls = []
    model.slow.res_nl1.res_0.register_forward_pre_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        model([_clip()])
    assert calls == [1]


def test_frozen_bn_keeps_statistics_and_affine_in_training():
    model = _tiny_model(frozen_bn=True).train()
    before = copy.deepcopy(model.state_dict())
    model([_clip()]).sum().backward()
    assert all(not bn.training for bn in batchnorm_layers(model))
    assert all(not p.requires_grad for bn in batchnorm_layers(model) for p in bn.parameters())
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], atol=0, rtol=0, msg=name)
    assert model.projection.weight.requires_grad


def test_builder_reads_sf_dropout_and_checkpoint_switch():
    cfg = load_config(None, ["MODEL.ARCH", "sf", "SF.BLOCKS_PER_STAGE", "[2, 1, 1, 1]", "SF.WIDTH_PER_GROUP", "16",
                             "SF.DROPOUT_RATE", "0.3", "MODEL.DROPOUT_RATE", "0.5",
                             "MODEL.CHECKPOINT_NUM", "[2, 0, 1, 0]", "MODEL.USE_CHECKPOINT", "False"])
    model = build_model(cfg)
    assert model.dropout.p == 0.3
    assert model.config.checkpoint_blocks == (0, 0, 0, 0)
    assert model.projection.in_features == 16 * 32


def test_builder_rejects_checkpointing_more_blocks_than_a_stage_has():
    cfg = load_config(None, ["MODEL.ARCH", "sf", "SF.BLOCKS_PER_STAGE", "[1, 1, 2, 1]",
                             "MODEL.USE_CHECKPOINT", "True", "MODEL.CHECKPOINT_NUM", "[0, 0, 3, 0]"])
    with pytest.raises(ConfigError, match="CHECKPOINT_NUM.*checkpoint_blocks\\[2\\] = 3"):
        build_model(cfg)


def test_forward_rejects_two_pathway_input():
    with pytest.raises(ValueError, match=r"SF takes a clip \[B, C, T, H, W\] or a list of one"):
        _tiny_model()([_clip(), _clip()])


def test_tiny_preset_builds_and_runs_at_its_clip_size():
    cfg = load_config(REPO_ROOT / "configs" / "tiny" / "sf.yaml")
    model = build_model(cfg).eval()
    clip = torch.randn(1, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE)
    with torch.no_grad():
        assert model([clip]).shape == (1, cfg.MODEL.NUM_CLASSES)



def test_tiny_model_can_fit_a_batch():
    model = _tiny_model(blocks_per_stage=(1, 1, 1, 1), dropout_rate=0.2).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    clip, labels = _clip(batch=6), torch.arange(6)
    losses = []
    for _ in range(12):
        loss = F.cross_entropy(model([clip]), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]
