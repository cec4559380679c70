"""Benchmark files, the command lines they give (--dry-run) and the table from fake summary.json files."""
import json
import subprocess
import sys

import pytest

from darkvid.config import load_config
from darkvid.pipeline.benchmark import (
    BenchmarkError,
    BenchSet,
    load_benchmark,
    pipeline_command,
)
from darkvid.pipeline.benchmark_table import (
    group_stats,
    read_rows,
    set_row,
    write_table,
)
from tests.conftest import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "run_benchmark.py"


def _summary(final, adapt, normal, seconds, videos=400):
    """A summary.json with the keys darkvid/pipeline/report.py writes that the table reads."""
    return {"submission": {"test_top1": final, "test_videos": videos, "test_top1_interval95": [final - 3, final + 2]},
            "models": {"adapt_bn": {"a": {"test_top1": adapt, "normal_val_top1": 97.0},
                                    "b": {"test_top1": adapt - 5}, "c": {"test_top1": None}},
                       "expert": {"a": {"test_top1": final - 10, "normal_val_top1": 93.5}}},
            "ablation": [{"key": "normal_only", "test_top1": normal}, {"key": "gamma", "test_top1": 40.0}],
            "total_seconds": seconds}


def _write(tmp_path, text):
    path = tmp_path / "b.yaml"
    path.write_text(text)
    return path


def test_shipped_benchmarks_load_and_keep_tuning_and_evaluation_seeds_apart():
    tune, evaluation = load_benchmark("tune"), load_benchmark(REPO_ROOT / "configs/benchmark/eval.yaml")
    assert [s.data_seed for s in tune] == [0] and {s.group for s in tune} == {"tune"}
    assert {s.group for s in evaluation} == {"eval"} and {s.data_seed for s in evaluation} == {5, 6, 7, 8}
    assert not {s.data_seed for s in evaluation} & {0, 1, 2, 3, 4}
    sweep = {s.name: (s.exposure, s.noise) for s in evaluation if s.data_seed == 8}
    assert sweep["eval_seed8_darker"] == ((0.005, 0.015), None) and sweep["eval_seed8_noisy"][1] == 6.0


def test_commands_carry_seed_exposure_noise_and_extra_flags(tmp_path):
    path = _write(tmp_path, "preset: micro\ngroup: eval\nextra: [--jobs, 1]\nsets:\n"
                            "  - {name: s1, data_seed: 5, exposure: [0.005, 0.015], noise: 6, extra: [--verbose]}\n"
                            "  - {name: s2, data_seed: 6, group: tune}\n")
    s1, s2 = load_benchmark(path)
    assert s2.group == "tune" and s2.exposure is None and s2.extra == ("--jobs", "1")
    cmd = pipeline_command(s1, tmp_path / "root", python="py")
    assert cmd[0] == "py" and cmd[1].endswith("tools/run_pipeline.py")
    assert cmd[2:] == ["--preset", "micro", "--work-dir", str(tmp_path / "root" / "s1"), "--data-seed", "5",
                       "--exposure", "0.005", "0.015", "--noise", "6.0", "--jobs", "1", "--verbose"]


@pytest.mark.parametrize("text, message", [
    ("sets: [{name: a, data_seed: 1}]\n", "'group' must be one of"),
    ("group: eval\nsets: [{name: a, data_seed: 1, nosie: 3}]\n", r"set.*unknown key\(s\) \['nosie'\]"),
    ("group: eval\nsets: [{name: a, data_seed: 1, exposure: [0.2, 0.1]}]\n", "set 'a': 'exposure'"),
    ("group: eval\nsets: [{name: a, data_seed: 1}, {name: a, data_seed: 2}]\n", "'a' appears twice"),
    ("group: eval\nsets: []\n", "non-empty list"),
])
def test_bad_benchmark_files_are_named(tmp_path, text, message):
    with pytest.raises(BenchmarkError, match=message):
        load_benchmark(_write(tmp_path, text))


def test_table_rows_means_and_files(tmp_path):
    sets = [BenchSet("t0", "tune", 0), BenchSet("e5", "eval", 5), BenchSet("e6", "eval", 6),
            BenchSet("e8", "eval", 8, (0.005, 0.015))]
    for name, summary in [("t0", _summary(90.0, 70.0, 9.0, 800.0)), ("e5", _summary(88.0, 66.0, 10.0, 820.0)),
                          ("e6", _summary(92.0, 70.0, 12.0, 780.0))]:
        (tmp_path / name / "report").mkdir(parents=True)
        (tmp_path / name / "report" / "summary.json").write_text(json.dumps(summary))
    (tmp_path / "e5" / "benchmark_wall.json").write_text('{"seconds": 840.0}')
    rows = read_rows(sets, tmp_path)
    assert rows[1]["final_top1"] == 88.0 and rows[1]["best_adapt_bn_top1"] == 66.0 and rows[1]["gain"] == 22.0
    assert rows[1]["lowest_normal_val"] == 93.5  # the expert's, below the adapt-BN model's 97
    assert rows[1]["normal_only_top1"] == 10.0 and rows[1]["wall_seconds"] == 840.0 and rows[2]["wall_seconds"] is None
    assert rows[3]["status"] == "not run" and rows[3]["final_top1"] is None
    stats = group_stats(rows)
    assert stats["eval"]["final_top1"] == {"mean": 90.0, "std": 2.83, "sets": 2}  # sd of 88, 92 = 2.83
    assert stats["eval"]["gain"]["mean"] == 22.0 and stats["tune"]["final_top1"]["std"] is None
    paths = write_table(rows, tmp_path / "benchmark")
    text = paths["md"].read_text()
    row = "| e5 | eval | 5 | default | default | 88.00 (85.0-90.0) | 66.00 | 10.00 | 22.00 | 93.50 | 820 | 840 |"
    assert row in text
    assert "| e8 | eval | 8 | 0.005-0.015 | default | not run |" in text
    assert "**eval: mean ± sd** (2 sets) | eval |" in text and "90.00 ± 2.83" in text
    csv_lines = paths["csv"].read_text().splitlines()
    assert csv_lines[0].startswith("set,group,data_seed")
    assert csv_lines[2].startswith("e5,eval,5,,,done,88.0,85-90,400,66.0")
    assert json.loads(paths["json"].read_text())["groups"]["eval"]["final_top1"]["mean"] == 90.0


def test_a_variants_sets_are_averaged_apart(tmp_path):
    path = _write(tmp_path, "group: eval\nvariant: noise_aug\nextra: [--override, DATA.NOISE_AUG_MEASURE, 'True']\n"
                            "sets: [{name: e5_aug, data_seed: 5}]\n")
    (aug,) = load_benchmark(path)
    assert aug.variant == "noise_aug" and aug.extra == ("--override", "DATA.NOISE_AUG_MEASURE", "True")
    sets = [BenchSet("e5", "eval", 5), BenchSet("e6", "eval", 6), aug]
    for name, final in [("e5", 88.0), ("e6", 92.0), ("e5_aug", 95.0)]:
        (tmp_path / name / "report").mkdir(parents=True)
        (tmp_path / name / "report" / "summary.json").write_text(json.dumps(_summary(final, 70.0, 9.0, 800.0)))
    stats = group_stats(read_rows(sets, tmp_path))
    assert list(stats) == ["eval", "eval + noise_aug"]
    assert stats["eval"]["final_top1"]["mean"] == 90.0 and stats["eval + noise_aug"]["final_top1"]["mean"] == 95.0
    text = write_table(read_rows(sets, tmp_path), tmp_path / "benchmark")["md"].read_text()
    assert "| e5_aug | eval + noise_aug | 5 |" in text and "**eval + noise_aug: mean ± sd** (1 sets)" in text
    with pytest.raises(BenchmarkError, match="'variant' must be a short name"):
        load_benchmark(_write(tmp_path, "group: eval\nvariant: 'a b'\nsets: [{name: x, data_seed: 1}]\n"))
    assert {s.variant for s in load_benchmark("eval_noise_aug")} == {"noise_aug"}


def test_set_row_without_summary():
    row = set_row(BenchSet("x", "eval", 7), None)
    assert row["status"] == "not run" and row["gain"] is None and row["best_adapt_bn_top1"] is None


def test_dry_run_prints_every_command_and_table_only_writes_the_table(tmp_path):
    out = subprocess.run([sys.executable, str(TOOL), "tune", "eval", "--dry-run", "--work-root", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 8 and lines[0].endswith(f"--work-dir {tmp_path}/tune_seed0 --data-seed 0")
    assert lines[-1].endswith("--data-seed 8 --exposure 0.02 0.06 --noise 6.0")
    assert not any(tmp_path.iterdir())
    out = subprocess.run([sys.executable, str(TOOL), "eval", "--table-only", "--work-root", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "benchmark.md").read_text().count("not run") == 7
    bad = subprocess.run([sys.executable, str(TOOL), "eval", "--only", "nope", "--dry-run"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "unknown set(s) ['nope']" in bad.stderr


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "configs" / "benchmark").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_benchmark_file_loads_and_its_overrides_are_config_keys(path):
    """A misspelt key in a variant's `extra` would fail each set's run minutes in; here it fails at once."""
    sets = load_benchmark(path)
    assert sets and len({s.name for s in sets}) == len(sets)
    for bench in sets:
        words = list(bench.extra)
        pairs = [words[i + 1:i + 3] for i, word in enumerate(words) if word == "--override"]
        assert all(len(pair) == 2 for pair in pairs), words
        load_config(opts=[word for pair in pairs for word in pair])
