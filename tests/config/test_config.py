"""The configuration system: defaults, YAML files, overrides, and the seed's experiment files."""
from __future__ import annotations

from pathlib import Path

import pytest

from darkvid.config import ConfigError, get_cfg, load_config
from darkvid.config.defaults import get_defaults
from tests.conftest import shared_path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_get_cfg_returns_an_independent_copy():
    cfg = get_cfg()
    cfg.DATA.NUM_FRAMES = 99
    assert get_cfg().DATA.NUM_FRAMES == get_defaults().DATA.NUM_FRAMES != 99


def test_yaml_then_overrides_in_order(tmp_path):
    path = _write(tmp_path, "DATA:\n  NUM_FRAMES: 16\nSOLVER:\n  BASE_LR: 1e-3\n")
    cfg = load_config(path, ["DATA.NUM_FRAMES", "32", "DATA.PATH_LABEL_SEPARATOR", ","])
    assert cfg.DATA.NUM_FRAMES == 32
    assert cfg.SOLVER.BASE_LR == pytest.approx(1e-3)
    assert cfg.DATA.PATH_LABEL_SEPARATOR == ","
    assert cfg.is_frozen()


def test_strings_are_read_as_literals_where_the_default_is_not_a_string(tmp_path):
    path = _write(tmp_path, "MVIT:\n  PATCH_KERNEL: (3, 7, 7)\nSOLVER:\n  WARMUP_EPOCHS: 10\n")
    cfg = load_config(path, ["TRAIN.CHECKPOINT_EPOCH_RESET", "True", "MVIT.POOL_KV_STRIDE_ADAPTIVE", "[1, 4, 4]"])
    assert cfg.MVIT.PATCH_KERNEL == [3, 7, 7]
    assert cfg.SOLVER.WARMUP_EPOCHS == 10.0 and isinstance(cfg.SOLVER.WARMUP_EPOCHS, float)
    assert cfg.TRAIN.CHECKPOINT_EPOCH_RESET is True
    assert cfg.MVIT.POOL_KV_STRIDE_ADAPTIVE == [1, 4, 4]


def test_unknown_key_in_file_names_key_and_file(tmp_path):
    path = _write(tmp_path, "DATA:\n  NUM_FRAMS: 16\n")
    with pytest.raises(ConfigError, match=r"DATA\.NUM_FRAMS.*cfg\.yaml"):
        load_config(path)


def test_unknown_section_in_file(tmp_path):
    path = _write(tmp_path, "DATAA:\n  NUM_FRAMES: 16\n")
    with pytest.raises(ConfigError, match=r"DATAA.*cfg\.yaml"):
        load_config(path)


def test_unknown_override_key():
    with pytest.raises(ConfigError, match=r"SOLVER\.BASE_LRR.*command-line"):
        load_config(None, ["SOLVER.BASE_LRR", "0.1"])


def test_wrong_type_names_key_and_source(tmp_path):
    path = _write(tmp_path, "DATA:\n  NUM_FRAMES: many\n")
    with pytest.raises(ConfigError, match=r"DATA\.NUM_FRAMES.*int.*cfg\.yaml"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"TRAIN\.ENABLE.*bool"):
        load_config(None, ["TRAIN.ENABLE", "1"])
    with pytest.raises(ConfigError, match=r"DATA\.NUM_FRAMES.*int"):
        load_config(None, ["DATA.NUM_FRAMES", "2.5"])


def test_odd_override_count_is_an_error():
    with pytest.raises(ConfigError, match="pairs"):
        load_config(None, ["DATA.NUM_FRAMES"])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("TRAIN.DATASET", "kinetics", "TRAIN.DATASET"),
        ("TEST.NUM_SPATIAL_CROPS", "2", "NUM_SPATIAL_CROPS"),
        ("DATA.NUM_FRAMES", "0", "DATA.NUM_FRAMES"),
        ("MODEL.NUM_CLASSES", "10", "CLASS_NAMES"),
        ("TEST.DATA_SELECT", "train", "TEST.DATA_SELECT"),
        ("BN.NUM_BATCHES_SOURCE", "-1", "BN.NUM_BATCHES_SOURCE"),
    ],
)
def test_validation_names_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [key, value])


def test_every_default_has_a_one_line_comment():
    source = (Path(__file__).resolve().parents[2] / "darkvid" / "config" / "defaults.py").read_text()
    assignments = [line for line in source.splitlines() if line.startswith("_C.") and "CfgNode()" not in line]
    undocumented = [line for line in assignments if "#" not in line and not line.rstrip().endswith("[")]
    assert not undocumented, undocumented


def _seed_config_files() -> list[Path]:
    root = shared_path("seed_configs")
    files = sorted(root.glob("*/*/config.yaml"))
    assert len(files) == 21, f"expected the seed's 21 experiment configs under {root}"
    return files


def test_every_seed_config_loads_unchanged():
    for path in _seed_config_files():
        cfg = load_config(path)
        assert cfg.MODEL.NUM_CLASSES == 11, path
        assert cfg.MODEL.ARCH in ("uniformer", "mvit", "sf"), path


def test_seed_config_values_are_read_as_the_seed_meant():
    mvit = load_config(shared_path("seed_configs", "exp_adapt_bn", "mvit_b32_k600", "config.yaml"))
    assert mvit.MVIT.DEPTH == 24  # the file sets DEPTH twice; the later value wins, as in the seed
    assert mvit.MVIT.POOL_Q_STRIDE == [[2, 1, 2, 2], [5, 1, 2, 2], [21, 1, 2, 2]]
    assert mvit.MVIT.POOL_KV_STRIDE_ADAPTIVE == [1, 8, 8]
    assert mvit.SOLVER.BASE_LR == pytest.approx(1e-4)
    assert mvit.SOLVER.CLIP_GRAD_L2NORM == pytest.approx(1.0)
    expert = load_config(shared_path("seed_configs", "exp_experts", "uniformer_b32_ssv2", "config.yaml"))
    assert expert.TRAIN.DATASET == "ug2"  # dense sampling for the expert
    assert expert.UNIFORMER.DEPTH == [5, 8, 20, 7]


def test_seed_launcher_overrides_apply():
    """Every `run.sh`/`test.sh` override line of the seed merges onto its config file."""
    overrides = shared_path("seed_configs", "OVERRIDES.txt").read_text().split("== ")[1:]
    assert len(overrides) == 42
    for block in overrides:
        header, args = block.split("\n", 1)
        folder = Path(header.strip()).parent
        tokens = args.split()
        tokens = tokens[tokens.index("--cfg") + 2:]
        tokens = [t.strip('"') for t in tokens]
        opts = ["." if t == "$work_path" else t for t in tokens]
        cfg = load_config(shared_path("seed_configs", str(folder), "config.yaml"), opts)
        assert cfg.RNG_SEED == 6666, header


def test_base_file_is_merged_first_and_can_be_replaced(tmp_path):
    (tmp_path / "gpu.yaml").write_text("DATA:\n  NUM_FRAMES: 32\n  TRAIN_CROP_SIZE: 224\n")
    (tmp_path / "cpu.yaml").write_text("DATA:\n  NUM_FRAMES: 8\n")
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text("_BASE_: ../gpu.yaml\nDATA:\n  TRAIN_CROP_SIZE: 112\n")
    cfg = load_config(exp / "config.yaml")
    assert (cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE) == (32, 112)
    cfg = load_config(exp / "config.yaml", base=tmp_path / "cpu.yaml")
    assert (cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE) == (8, 112)


def test_missing_base_is_named(tmp_path):
    path = _write(tmp_path, "_BASE_: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="nowhere.yaml"):
        load_config(path)
