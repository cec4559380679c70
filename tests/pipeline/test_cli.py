"""tools/run_pipeline.py's exit codes and messages, without running any training."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(REPO / "tools" / "run_pipeline.py"), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_only_a_step_whose_inputs_are_missing_fails_naming_it(tmp_path):
    result = cli("--preset", "micro", "--work-dir", str(tmp_path), "--only", "pseudo1")
    assert result.returncode == 1
    assert "step pseudo1 failed: needs step(s) adapt_bn.uniformer_b32_k600" in result.stderr
    assert "command: (not started)" in result.stderr


def test_unknown_preset_and_step_are_usage_errors(tmp_path):
    result = cli("--preset", "nosuch", "--work-dir", str(tmp_path))
    assert result.returncode == 2 and "preset 'nosuch' not found" in result.stderr
    result = cli("--preset", "micro", "--work-dir", str(tmp_path), "--from", "stage7")
    assert result.returncode == 2 and "no step or group named 'stage7'" in result.stderr


def test_the_pipeline_leaves_thread_counts_to_the_runner(tmp_path, monkeypatch):
    """Pinning OMP_NUM_THREADS in the pipeline's own process would pass for "set by the user" and
    keep every command at that value, whatever cores / jobs the runner computes."""
    import importlib.util

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    spec = importlib.util.spec_from_file_location("run_pipeline_cli", REPO / "tools" / "run_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--preset", "micro", "--work-dir", str(tmp_path), "--list"]) == 0
    assert "OMP_NUM_THREADS" not in os.environ


def test_overrides_reach_every_run_and_unknown_keys_are_refused(tmp_path):
    from darkvid.pipeline.presets import PresetError, load_preset

    preset = load_preset("micro").with_overrides([("DATA.TEMPORAL_DENOISE", "3"), ("DATA.NOISE_AUG_STD", "2.0")])
    for kind in ("adapt", "stage", "expert"):
        words = preset.run_overrides(kind)
        assert words[-4:] == ["DATA.TEMPORAL_DENOISE", "3", "DATA.NOISE_AUG_STD", "2.0"]  # last: they win
    assert load_preset("micro").run_overrides("adapt") != preset.run_overrides("adapt")
    try:
        load_preset("micro").with_overrides([("DATA.NO_SUCH_KEY", "1")])
    except PresetError as err:
        assert "DATA.NO_SUCH_KEY" in str(err)
    else:
        raise AssertionError("an unknown key was accepted")
    result = cli("--preset", "micro", "--work-dir", str(tmp_path), "--override", "DATA.NO_SUCH", "1", "--list")
    assert result.returncode == 2 and "DATA.NO_SUCH" in result.stderr
