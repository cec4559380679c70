"""The whole method on the micro preset, from an empty work directory, then again (all skipped), then
in a second work directory on the first one's dataset as a read-only --data-root."""
import csv
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import tree_digest

REPO = Path(__file__).resolve().parents[2]


def pipeline(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, str(REPO / "tools" / "run_pipeline.py"), "--preset", "micro", "--work-dir", str(work), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, check=False)


def check_pseudo_csv(path: Path, pool: list[str]) -> None:
    rows = list(csv.reader(path.open()))
    assert rows, f"{path} is empty"
    for row in rows:
        assert len(row) == 13 and row[0] in pool and 0 <= int(row[1]) < 11
        probs = np.array(row[2:], dtype=float)
        # the mixed ensemble probabilities (the seed's weights sum to 0.95, so rows need not sum to 1)
        assert (probs >= 0).all() and probs.sum() <= 1.0 + 1e-6 and int(row[1]) == probs.argmax()


def check_predictions(work: Path) -> None:
    files = sorted(work.glob("exp_*/*/*.pkl"))
    assert len(files) >= 4 * 3 * 3, [str(f) for f in files]
    for path in files:
        with path.open("rb") as handle:
            data = pickle.load(handle)
        assert data["video_preds"].dtype == np.float32 and data["video_preds"].shape[1] == 11
        assert data["video_labels"].shape == (data["video_preds"].shape[0],)


def check_submission(work: Path) -> None:
    test_rows = [line.split(",")[0] for line in (work / "data" / "test.csv").read_text().splitlines() if line]
    rows = list(csv.reader((work / "submission.csv").open()))
    assert rows[0] == ["VideoID", "Video", "ClassID", "Probability"]
    assert [r[1] for r in rows[1:]] == test_rows
    assert all(0 <= int(r[2]) < 11 and 0 <= float(r[3]) <= 1 for r in rows[1:])
    official = list(csv.reader((work / "arid_pred.csv").open()))  # the challenge's file and its zip, beside it
    assert [r[1] for r in official[1:]] == test_rows and (work / "ug2-2022.zip").stat().st_size > 0


def check_summary(work: Path) -> None:
    summary = json.loads((work / "report" / "summary.json").read_text())
    assert {"models", "pseudo", "submission", "ablation", "seconds", "normal_only_drop"} <= set(summary)
    assert list(summary["models"]) == ["adapt_bn", "stage1", "stage2", "expert"]
    rows = [r for stage in summary["models"].values() for r in stage.values()]
    numbers = [r[k] for r in rows for k in ("normal_val_top1", "dark_val_top1", "test_top1")]
    assert all(r["test_top1_interval95"][0] <= r["test_top1"] <= r["test_top1_interval95"][1] for r in rows)
    assert all(r["vs_previous"] is not None and r["vs_previous"]["videos"] > 0 for r in summary["ablation"][1:])
    numbers += [summary["submission"]["test_top1"], *(r["test_top1"] for r in summary["ablation"])]
    numbers += [summary["pseudo"][s][k] for s in ("stage1", "stage2")
                for k in ("coverage", "precision", "pool_coverage")]
    assert all(v is not None and 0 <= v <= 100 for v in numbers), numbers
    assert len(summary["ablation"]) == 8
    low, high = summary["submission"]["test_top1_interval95"]
    assert low <= summary["submission"]["test_top1"] <= high and summary["submission"]["test_videos"] > 0
    assert all(summary["seconds"][name] > 0 for name in ("adapt_bn.sf32_k700", "pseudo2", "ensemble"))


@pytest.mark.slow
def test_micro_pipeline_end_to_end(tmp_path):
    work = tmp_path / "work"
    first = pipeline(work)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "step 1 of 20: data" in first.stdout  # micro: 20 steps (one ablation training run)
    pool = [line.split(",")[0] for line in (work / "data" / "total_unlabel.csv").read_text().splitlines() if line]
    for stage in (1, 2):
        check_pseudo_csv(work / "pseudo" / f"stage{stage}.csv", pool)
        assert (work / "pseudo" / f"stage{stage}.json").exists()
    assert not (work / "data" / "pseudo").exists()
    check_predictions(work)
    check_submission(work)
    for name in ("report.md", "summary.json", "accuracy.png", "pseudo.png", "frames.png", "confusion.png"):
        assert (work / "report" / name).stat().st_size > 0, name
    check_summary(work)
    last_stage_log = (work / "logs" / "stage2.mvit_b32_k600.log").read_text()
    assert last_stage_log.count("$ ") == 1 and "TEST.EXTRA_VIEWS" in last_stage_log  # one process, every view
    assert (work / "pretrained" / "tiny").resolve() == (Path(__file__).resolve().parents[2] / "pretrained" / "tiny")
    submission = (work / "submission.csv").read_bytes()

    start = time.time()
    second = pipeline(work)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count("(up to date, skipped)") == 20 and "finished: 0 step(s) ran" in second.stdout
    assert time.time() - start < 60
    assert (work / "submission.csv").read_bytes() == submission

    # A second work directory reads the first one's dataset as its --data-root: the root stays
    # byte-identical with nothing added, and the results are those of the first run alone.
    root = work / "data"
    before = tree_digest(root)
    other = pipeline(tmp_path / "other", "--data-root", str(root))
    assert other.returncode == 0, other.stdout[-3000:] + other.stderr[-3000:]
    assert tree_digest(root) == before, "the second work directory changed the data root"
    assert (tmp_path / "other" / "pseudo" / "stage2.csv").read_bytes() == (work / "pseudo" / "stage2.csv").read_bytes()
    assert (tmp_path / "other" / "submission.csv").read_bytes() == submission
