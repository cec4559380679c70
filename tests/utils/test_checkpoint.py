"""Checkpoint loading (every supported layout) and atomic, resumable saving."""
from __future__ import annotations

import logging
import os

import pytest
import torch
import torch.distributed as dist
from torch import nn

from darkvid.config import get_cfg
from darkvid.utils.checkpoint import (
    CheckpointError,
    CheckpointNotFoundError,
    checkpoint_path,
    has_checkpoint,
    latest_checkpoint,
    load_weights,
    remove_older_checkpoints,
    save_checkpoint,
)
from darkvid.utils.checkpoint_formats import classifier_name, inflate_2d_to_3d
from tests.conftest import shared_path


class ToyNet(nn.Module):
    """A video net in miniature: 3D stem with BatchNorm, a classifier named like UniFormer's or SF's."""

    def __init__(self, num_classes: int = 11, head: str = "head", two_d: bool = False) -> None:
        super().__init__()
        conv, norm = (nn.Conv2d, nn.BatchNorm2d) if two_d else (nn.Conv3d, nn.BatchNorm3d)
        self.stem = conv(3, 4, 3, padding=1, bias=False)
        self.norm = norm(4)
        self.head_name = head
        setattr(self, head, nn.Linear(4, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = torch.relu(self.norm(self.stem(x))).flatten(2).mean(-1)
        return getattr(self, self.head_name)(feats)


class NotPlain:
    """Any object beyond tensors and containers: weights_only loading must refuse it."""


def _randomised(model: nn.Module, seed: int = 0) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
    return model


def _assert_same_state(model: nn.Module, expected: dict) -> None:
    state = model.state_dict()
    assert set(state) == set(expected)
    for key, value in expected.items():
        assert torch.equal(state[key], value.to(state[key].dtype)), key


def _seed_sf_names(state: dict) -> dict:
    """The seed's mmaction-style SlowFast names: the classifier under cls_head.pred, the rest under backbone."""
    return {
        (k.replace("projection.", "module.cls_head.pred.") if k.startswith("projection.")
         else "module.backbone." + k): v
        for k, v in state.items()
    }


# --- every layout, built from small models -------------------------------------------------


@pytest.mark.parametrize(
    "layout",
    ["pyslowfast", "uniformer_module", "seed_sf_model", "seed_sf_state_dict", "bare"],
)
def test_every_layout_loads_exactly(tmp_path, layout):
    head = "projection" if layout.startswith("seed_sf") else "head"
    source = _randomised(ToyNet(head=head), seed=1).state_dict()
    if layout == "pyslowfast":
        payload = {"model_state": source, "epoch": 7}
    elif layout == "uniformer_module":
        payload = {"model": {"module." + k: v for k, v in source.items()}}
    elif layout.startswith("seed_sf"):
        renamed = _seed_sf_names(source)
        payload = {"model" if layout == "seed_sf_model" else "state_dict": renamed}
    else:
        payload = source
    path = tmp_path / "weights.pth"
    torch.save(payload, path)
    model = ToyNet(head=head)
    raw = load_weights(path, model, strict_head=True)
    _assert_same_state(model, source)
    assert raw.get("epoch") == (7 if layout == "pyslowfast" else None)


def test_clear_prefixes_strip_extra_names(tmp_path):
    source = _randomised(ToyNet()).state_dict()
    path = tmp_path / "w.pyth"
    torch.save({"model_state": {"encoder." + k: v for k, v in source.items()}}, path)
    with pytest.raises(CheckpointError, match="encoder.stem.weight"):
        load_weights(path, ToyNet())
    model = ToyNet()
    load_weights(path, model, clear_prefixes=("encoder.",))
    _assert_same_state(model, source)


def test_missing_batchnorm_counter_is_tolerated(tmp_path):
    source = {k: v for k, v in _randomised(ToyNet()).state_dict().items() if "num_batches_tracked" not in k}
    path = tmp_path / "old.pth"
    torch.save(source, path)
    model = ToyNet()
    load_weights(path, model)
    assert torch.equal(model.norm.running_var, source["norm.running_var"])


# --- classifier mismatch, errors --------------------------------------------------------------


@pytest.mark.parametrize("head", ["head", "projection"])
def test_other_class_count_drops_classifier_with_one_warning(tmp_path, caplog, head):
    source = _randomised(ToyNet(num_classes=600, head=head)).state_dict()
    path = tmp_path / "k600.pyth"
    torch.save({"model_state": source}, path)
    model = ToyNet(head=head)
    initial = {k: v.clone() for k, v in model.state_dict().items() if k.startswith(head + ".")}
    with caplog.at_level(logging.WARNING, logger="darkvid.utils.checkpoint"):
        load_weights(path, model)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert f"{head}.weight" in message and f"{head}.bias" in message and str(path) in message
    assert "(600, 4)" in message and "(11, 4)" in message
    for key, value in initial.items():
        assert torch.equal(model.state_dict()[key], value)
    assert torch.equal(model.stem.weight, source["stem.weight"])
    with pytest.raises(CheckpointError, match=f"{head}.weight"):
        load_weights(path, ToyNet(head=head), strict_head=True)


def test_unexpected_missing_and_misshapen_keys_are_listed(tmp_path):
    source = dict(_randomised(ToyNet()).state_dict())
    source["extra.weight"] = torch.zeros(2)
    del source["norm.bias"]
    source["stem.weight"] = torch.zeros(4, 3, 3, 3, 5)
    path = tmp_path / "odd.pyth"
    torch.save({"model_state": source}, path)
    with pytest.raises(CheckpointError) as info:
        load_weights(path, ToyNet())
    text = str(info.value)
    assert str(path) in text
    assert "missing from the file: norm.bias" in text
    assert "unexpected in the file: extra.weight" in text
    assert "stem.weight: file (4, 3, 3, 3, 5) vs model (4, 3, 3, 3, 3)" in text


def test_head_with_other_feature_width_is_an_error(tmp_path):
    source = dict(_randomised(ToyNet()).state_dict())
    source["head.weight"] = torch.zeros(11, 8)
    path = tmp_path / "w.pyth"
    torch.save(source, path)
    with pytest.raises(CheckpointError, match=r"head.weight: file \(11, 8\)"):
        load_weights(path, ToyNet())


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "best.pyth"
    with pytest.raises(CheckpointNotFoundError, match=str(path)):
        load_weights(path, ToyNet())
    assert issubclass(CheckpointNotFoundError, FileNotFoundError)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pyth"
    torch.save({"model_state": ToyNet().state_dict(), "payload": NotPlain()}, path)
    with pytest.raises(CheckpointError, match="weights_only") as info:
        load_weights(path, ToyNet())
    assert str(path) in str(info.value)


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.pyth"
    torch.save({"model_state": ToyNet().state_dict()}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=str(path)):
        load_weights(path, ToyNet())


# --- 2D -> 3D inflation ------------------------------------------------------------------------


def test_inflation_averages_over_time_like_uniformer(tmp_path, caplog):
    source_2d = _randomised(ToyNet(num_classes=1000, two_d=True), seed=3)
    path = tmp_path / "in1k.pth"
    torch.save({"model": source_2d.state_dict()}, path)
    model = ToyNet()
    with caplog.at_level(logging.WARNING, logger="darkvid.utils.checkpoint"):
        load_weights(path, model)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    w2d = source_2d.stem.weight.detach()
    expected = torch.stack([w2d / 3] * 3, dim=2)
    assert torch.allclose(model.stem.weight, expected)
    assert torch.equal(inflate_2d_to_3d(w2d, 3), expected)
    # A clip that is constant over time gives the 2D output at every frame away from the temporal border.
    frame = torch.randn(1, 3, 6, 6)
    clip = frame.unsqueeze(2).repeat(1, 1, 5, 1, 1)
    out3d = model.stem(clip)[:, :, 1:-1]
    out2d = source_2d.stem(frame).unsqueeze(2).expand_as(out3d)
    assert torch.allclose(out3d, out2d, atol=1e-5)
    with pytest.raises(CheckpointError, match="stem.weight"):
        load_weights(path, ToyNet(), inflate=False)


# --- saving -------------------------------------------------------------------------------------


def _trained_toy() -> tuple:
    model = _randomised(ToyNet(), seed=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 2, 4, 4)).sum().backward()
    optimizer.step()
    return model, optimizer


def test_round_trip_restores_model_optimizer_scaler_and_cfg(tmp_path):
    model, optimizer = _trained_toy()
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    cfg = get_cfg()
    cfg.MODEL.NUM_CLASSES = 11
    path = save_checkpoint(
        checkpoint_path(tmp_path, 3), model=model, optimizer=optimizer, scaler=scaler, epoch=2,
        cfg=cfg, extra={"best_top1": 0.75},
    )
    assert path == tmp_path / "checkpoints" / "checkpoint_epoch_00003.pyth"
    fresh = ToyNet()
    fresh_opt = torch.optim.SGD(fresh.parameters(), lr=0.5, momentum=0.9)
    raw = load_weights(path, fresh, strict_head=True)
    _assert_same_state(fresh, model.state_dict())
    fresh_opt.load_state_dict(raw["optimizer_state"])
    assert fresh_opt.param_groups[0]["lr"] == 0.1
    moment = optimizer.state[model.stem.weight]["momentum_buffer"]
    assert torch.equal(fresh_opt.state[fresh.stem.weight]["momentum_buffer"], moment)
    assert raw["scaler_state"]["scale"] == 1024.0
    assert raw["epoch"] == 2 and raw["best_top1"] == 0.75
    assert "NUM_CLASSES: 11" in raw["cfg"]


def test_save_refuses_entries_that_need_pickle(tmp_path):
    path = tmp_path / "best.pyth"
    with pytest.raises(TypeError, match="best"):
        save_checkpoint(path, model=ToyNet(), epoch=0, extra={"best": NotPlain()})
    with pytest.raises(ValueError, match="epoch"):
        save_checkpoint(path, model=ToyNet(), epoch=0, extra={"epoch": 5})
    assert not path.exists()


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    model, _ = _trained_toy()
    path = save_checkpoint(tmp_path / "best.pyth", model=model, epoch=1)
    before = path.read_bytes()

    def broken_save(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model=ToyNet(), epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["best.pyth"]
    assert load_weights(path, ToyNet())["epoch"] == 1


def test_wrapped_models_are_saved_without_module_prefix(tmp_path):
    model = ToyNet()
    path = save_checkpoint(tmp_path / "dp.pyth", model=nn.DataParallel(model), epoch=0)
    keys = torch.load(path, weights_only=True)["model_state"].keys()
    assert keys == model.state_dict().keys()
    if not dist.is_available():
        pytest.skip("torch.distributed is not built in")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'pg'}", rank=0, world_size=1)
    try:
        ddp = nn.parallel.DistributedDataParallel(model)
        path = save_checkpoint(tmp_path / "ddp.pyth", model=ddp, epoch=0)
        target = nn.parallel.DistributedDataParallel(ToyNet())
        load_weights(path, target, strict_head=True)
        _assert_same_state(target.module, model.state_dict())
    finally:
        dist.destroy_process_group()
    assert torch.load(path, weights_only=True)["model_state"].keys() == model.state_dict().keys()


def test_latest_checkpoint_sorts_by_epoch_and_skips_temp_files(tmp_path):
    assert latest_checkpoint(tmp_path) is None and not has_checkpoint(tmp_path)
    for epoch in (5, 20, 100000):
        save_checkpoint(checkpoint_path(tmp_path, epoch), model=ToyNet(), epoch=epoch - 1)
    folder = tmp_path / "checkpoints"
    (folder / ".checkpoint_epoch_999999.pyth.abc.tmp").write_bytes(b"partial")
    (folder / "checkpoint_epoch_00009.pyth.bak").write_bytes(b"")
    assert has_checkpoint(tmp_path)
    assert latest_checkpoint(tmp_path) == folder / "checkpoint_epoch_100000.pyth"
    removed = remove_older_checkpoints(tmp_path, keep_epoch=100000)
    assert [p.name for p in removed] == ["checkpoint_epoch_00005.pyth", "checkpoint_epoch_00020.pyth"]
    assert latest_checkpoint(tmp_path) == folder / "checkpoint_epoch_100000.pyth"
    assert has_checkpoint(tmp_path)


# --- the seed's tiny reference models, in each layout the seed's files use ----------------------

_SECTIONS = {"uniformer": "UNIFORMER", "mvit": "MVIT", "sf": "SF"}
_TINY_EXTRA = {"sf": {"BLOCKS_PER_STAGE": [1, 1, 2, 1]}}


def _tiny_model(arch: str) -> tuple:
    """The darkvid model matching `<arch>_tiny_fixture.pt`, and the fixture's weights in float32."""
    fixture = torch.load(shared_path("reference", f"{arch}_tiny_fixture.pt"), weights_only=True)
    from darkvid.models import MODEL_REGISTRY, build_model

    assert arch in MODEL_REGISTRY, f"model {arch!r} is not registered in darkvid.models"
    cfg = get_cfg()
    section = cfg[_SECTIONS[arch]]
    for key, value in {**fixture["hyperparams"], **_TINY_EXTRA.get(arch, {})}.items():
        if key in section and not isinstance(value, dict):
            section[key] = float(value) if isinstance(section[key], float) and isinstance(value, int) else value
    cfg.MODEL.ARCH = arch
    cfg.MODEL.NUM_CLASSES = fixture["logits"].shape[-1]
    cfg.DATA.NUM_FRAMES = fixture["data"]["NUM_FRAMES"]
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = fixture["data"]["CROP"]
    weights = {k: v.float() if v.is_floating_point() else v for k, v in fixture["state_dict"].items()}
    return build_model(cfg), weights


@pytest.mark.parametrize("arch", ["uniformer", "mvit", "sf"])
@pytest.mark.parametrize("layout", ["pyslowfast", "uniformer_module"])
def test_reference_fixture_loads_into_tiny_model(tmp_path, arch, layout):
    model, weights = _tiny_model(arch)
    path = tmp_path / "fixture.pyth"
    if layout == "pyslowfast":
        torch.save({"model_state": weights, "epoch": 29}, path)
    else:
        torch.save({"model": {"module." + k: v for k, v in weights.items()}}, path)
    load_weights(path, model, strict_head=True)
    _assert_same_state(model, weights)


@pytest.mark.parametrize("arch", ["uniformer", "mvit", "sf"])
def test_kinetics_classifier_is_dropped_from_tiny_model(tmp_path, caplog, arch):
    model, weights = _tiny_model(arch)
    head = classifier_name(model)
    pretrained = dict(weights)
    pretrained[f"{head}.weight"] = torch.zeros(600, weights[f"{head}.weight"].shape[1])
    pretrained[f"{head}.bias"] = torch.zeros(600)
    path = tmp_path / "k600.pyth"
    torch.save({"model_state": pretrained}, path)
    before = model.state_dict()[f"{head}.weight"].clone()
    with caplog.at_level(logging.WARNING, logger="darkvid.utils.checkpoint"):
        load_weights(path, model)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"{head}.weight (file (600," in warnings[0] and f"{head}.bias" in warnings[0]
    assert torch.equal(model.state_dict()[f"{head}.weight"], before)
    _assert_same_state(model, {**weights, f"{head}.weight": before, f"{head}.bias": model.state_dict()[f"{head}.bias"]})


def test_seed_sf_k700_layout_loads_into_tiny_sf(tmp_path, caplog):
    model, weights = _tiny_model("sf")
    seed_keys = _seed_sf_names(weights)
    path = tmp_path / "SlowFast-ResNet101-8x8.pth"
    torch.save({"model": seed_keys}, path)
    load_weights(path, model, strict_head=True)
    _assert_same_state(model, weights)
    seed_keys["module.cls_head.pred.weight"] = torch.zeros(700, 2048)
    seed_keys["module.cls_head.pred.bias"] = torch.zeros(700)
    torch.save({"model": seed_keys}, path)
    with caplog.at_level(logging.WARNING, logger="darkvid.utils.checkpoint"):
        load_weights(path, model)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "projection.weight (file (700, 2048)" in warnings[0]


def test_imagenet_2d_uniformer_inflates_into_tiny_model(tmp_path):
    model, weights = _tiny_model("uniformer")
    gen = torch.Generator().manual_seed(5)
    flat = {}
    for key, value in weights.items():
        if value.dim() == 5:
            value = torch.randn(value.shape[:2] + value.shape[3:], generator=gen)
        flat[key] = value
    flat["head.weight"], flat["head.bias"] = torch.zeros(1000, flat["head.weight"].shape[1]), torch.zeros(1000)
    path = tmp_path / "uniformer_in1k.pth"
    torch.save({"model": flat}, path)
    load_weights(path, model)
    state = model.state_dict()
    inflated = [k for k, v in weights.items() if v.dim() == 5]
    assert inflated, "the tiny UniFormer should have 3D kernels"
    for key in inflated:
        time_dim = weights[key].shape[2]
        assert torch.allclose(state[key], flat[key].unsqueeze(2).expand_as(state[key]) / time_dim), key
