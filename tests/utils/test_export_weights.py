"""tools/export_weights.py: a training checkpoint reduced to the weights TRAIN.CHECKPOINT_FILE_PATH loads."""
import importlib.util
from pathlib import Path

import torch

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "export_weights.py"
_SPEC = importlib.util.spec_from_file_location("export_weights", _TOOL)
export_weights = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(export_weights)


def test_keeps_the_weights_and_drops_the_training_state(tmp_path):
    net = torch.nn.Linear(3, 2)
    torch.save({"model_state": net.state_dict(), "optimizer_state": {"state": {}}, "epoch": 7, "cfg": "x"},
               tmp_path / "best.pyth")
    argv = [str(tmp_path / "best.pyth"), str(tmp_path / "out" / "w.pyth"), "--note", "made here"]
    assert export_weights.main(argv) == 0
    saved = torch.load(tmp_path / "out" / "w.pyth", weights_only=True)
    assert set(saved) == {"model_state", "source"} and saved["source"] == "made here"
    assert all(torch.equal(saved["model_state"][k], v) for k, v in net.state_dict().items())
    assert (tmp_path / "out" / "w.pyth").stat().st_mode & 0o777 == 0o644


def test_a_file_without_model_state_is_refused_and_nothing_is_written(tmp_path, capsys):
    torch.save({"weights": {}}, tmp_path / "odd.pyth")
    assert export_weights.main([str(tmp_path / "odd.pyth"), str(tmp_path / "w.pyth")]) == 1
    assert "no 'model_state'" in capsys.readouterr().err and not (tmp_path / "w.pyth").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["odd.pyth"]
