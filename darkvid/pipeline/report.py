"""WORK/report/: report.md for people, summary.json for machines, and the figures.

`python -m darkvid.pipeline.report --work-dir WORK --preset PRESET` (the pipeline's last step)
scores every prediction file the plan names against the labelled CSVs and gathers the pseudo-label
summaries, the submission's score, the ablation and the time of each step.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from darkvid.config import get_cfg
from darkvid.datasets.records import read_split_list
from darkvid.ensemble.io import atomic_write_text, write_json
from darkvid.ensemble.scoring import score_file
from darkvid.ensemble.stats import accuracy_interval
from darkvid.predictions import default_class_names

from . import ablation, plots
from .data_root import DATA
from .graph import build_plan
from .layout import EXPERT, MODELS, model_exp, pseudo_csv, stage_name
from .presets import load_preset
from .significance import compare_rows, correct_by_video
from .step import read_marker
from .steps import ARID, TEST, Plan


def _score(work: Path, file: str, labels: str) -> Optional[dict[str, Any]]:
    """score_file's result for WORK/file against WORK/data/labels, or None if either is missing."""
    path, truth = work / file, work / DATA / labels
    if not path.exists() or not truth.exists():
        return None
    return score_file(path, truth)


def _scored(work: Path, file: str, labels: str, prefix: str = "test") -> dict[str, Any]:
    """`{prefix}_top1`, `{prefix}_videos` and `{prefix}_top1_interval95` (95% Wilson) of WORK/file.

    Each is None where unscored.
    """
    scores = _score(work, file, labels)
    top1 = None if scores is None else round(float(scores["top1"]), 2)
    videos = None if scores is None else scores["videos"]
    return {f"{prefix}_top1": top1, f"{prefix}_videos": videos,
            f"{prefix}_top1_interval95": accuracy_interval(top1, videos)}


def _split_size(work: Path, csv_name: str) -> int | None:
    """Rows of WORK/data/csv_name (the videos a stats.jsonl accuracy was measured on), None if absent."""
    path = work / DATA / csv_name
    if not path.exists():
        return None
    return len(read_split_list(path, num_classes=len(default_class_names())).paths)


def _normal_val(work: Path, exp: str) -> Optional[float]:
    """val_dry top-1 at the epoch best.pyth was chosen (the best arid top-1) from stats.jsonl."""
    path = work / exp / "stats.jsonl"
    if not path.exists():
        return None
    evals = [json.loads(line) for line in path.read_text().splitlines() if '"eval"' in line]
    evals = [e for e in evals if "arid_top1" in e and "val_dry_top1" in e]
    if not evals:
        return None
    return round(max(evals, key=lambda e: e["arid_top1"])["val_dry_top1"], 2)


def model_table(plan: Plan) -> dict[str, dict[str, dict[str, Any]]]:
    """stage -> model -> normal-val / dark-val / test top-1 (1 view x 1 crop)."""
    table = {}
    for stage in [*range(plan.last + 1), None]:
        models = [EXPERT] if stage is None else MODELS
        table["expert" if stage is None else stage_name(stage)] = {m: _model_row(plan, stage, m) for m in models}
    return table


def _model_row(plan: Plan, stage: int | None, model: str) -> dict[str, Any]:
    """One model's three accuracies, each with its video count and 95% interval."""
    work, normal = plan.work, _normal_val(plan.work, model_exp(stage, model))
    val_videos = _split_size(work, get_cfg().DATA.SPLIT_CSV.VAL_DRY)
    return {"normal_val_top1": normal, "normal_val_videos": val_videos,
            "normal_val_top1_interval95": accuracy_interval(normal, val_videos),
            **_scored(work, plan.pred(stage, model, ARID), "arid.csv", "dark_val"),
            **_scored(work, plan.pred(stage, model, TEST), "test_labels.csv")}


def _pct(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(100.0 * value, 2)


def _hidden_quality(work: Path, pseudo_csv: Path) -> tuple[Optional[float], Optional[float]]:
    """Coverage and precision (%) of the pseudo labels on the pool's videos whose labels are hidden.

    Only the synthetic set knows them (data/dark_unlabel_labels.csv); the ARID part of the pool,
    where the thresholds were chosen, says less about the labels the models are trained on.
    """
    truth_csv = work / DATA / "dark_unlabel_labels.csv"
    if not truth_csv.exists() or not pseudo_csv.exists():
        return None, None
    num_classes = len(default_class_names())
    truth_rows = read_split_list(truth_csv, num_classes=num_classes)
    truth = dict(zip(truth_rows.paths, truth_rows.labels.tolist()))
    pseudo = read_split_list(pseudo_csv, num_classes=num_classes, with_probs=True)
    chosen = {path: label for path, label in zip(pseudo.paths, pseudo.labels.tolist()) if path in truth}
    if not truth:
        return None, None
    correct = sum(truth[path] == label for path, label in chosen.items())
    return _pct(len(chosen) / len(truth)), _pct(correct / len(chosen)) if chosen else None


def pseudo_table(plan: Plan) -> dict[str, dict[str, Any]]:
    """Per stage: selected videos, pool share, coverage and precision on the labelled ARID videos (%)."""
    out = {}
    for stage in range(1, plan.last + 1):
        path = (plan.work / pseudo_csv(stage)).with_suffix(".json")
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        quality = data.get("labelled", {})
        out[f"stage{stage}"] = {
            "selected": data["selected"], "pool": data["pool"], "pool_coverage": _pct(data.get("pool_coverage")),
            "coverage": _pct(quality.get("coverage")), "precision": _pct(quality.get("precision")),
            "target_precision": _pct(data.get("target_precision")),
            "coverage_per_class": [_pct(v) for v in quality.get("coverage_per_class", [])],
            "precision_per_class": [_pct(v) for v in quality.get("precision_per_class", [])],
            "thresholds": data.get("thresholds"),
            # set when auto.min_selected overrode the thresholds: how many they alone kept
            "selected_by_thresholds": data.get("selected_by_thresholds") if data.get("floor_applied") else None,
        }
        out[f"stage{stage}"]["hidden_coverage"], out[f"stage{stage}"]["hidden_precision"] = _hidden_quality(
            plan.work, path.with_suffix(".csv"))
    return out


def step_seconds(plan: Plan, names: list[str]) -> dict[str, Optional[float]]:
    """Seconds each step took when it last ran (from its completion marker)."""
    out = {}
    for name in names:
        marker = read_marker(plan.work, name)
        out[name] = None if marker is None else marker.get("seconds")
    return out


def ablation_table(work: Path, rows: list[ablation.Row]) -> list[dict[str, Any]]:
    """Each row's test top-1 with its interval, and `vs_previous`: the exact McNemar test against the row above."""
    labels = work / DATA / "test_labels.csv"
    paired = compare_rows([correct_by_video(work / r.file, labels) for r in rows])
    return [{"key": r.key, "label": r.label, "file": r.file, **_scored(work, r.file, "test_labels.csv"),
             "vs_previous": vs} for r, vs in zip(rows, paired)]


def _last_train_record(work: Path, exp: str) -> dict[str, Any]:
    """The last `"kind": "train"` record of WORK/exp/stats.jsonl, {} when there is none."""
    path = work / exp / "stats.jsonl"
    if not path.exists():
        return {}
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return next((r for r in reversed(records) if r.get("kind") == "train"), {})


def data_problems(plan: Plan) -> dict[str, Any]:
    """Videos the runs could not use: bad training videos replaced under DATA.MAX_BAD_VIDEOS (per run,
    from stats.jsonl), pool videos left out of pseudo labels and test videos the vote had no clips for."""
    work, bad = plan.work, {}
    for stage in [*range(plan.last + 1), None]:
        for model in [EXPERT] if stage is None else MODELS:
            record = _last_train_record(work, model_exp(stage, model))
            if record.get("bad_videos"):
                bad[model_exp(stage, model)] = {"count": record["bad_videos"],
                                                "videos": record.get("bad_video_paths", [])}
    pseudo = {}
    for stage in range(1, plan.last + 1):
        path = (work / pseudo_csv(stage)).with_suffix(".json")
        if path.exists():
            pseudo[f"stage{stage}"] = json.loads(path.read_text()).get("invalid", 0)
    vote = next((json.loads(p.read_text()) for p in (work / "ensemble/searched/submission.json",
                                                     work / "ensemble/fixed/submission.json") if p.exists()), {})
    return {"bad_training_videos": bad, "bad_training_total": sum(v["count"] for v in bad.values()),
            "pseudo_invalid": pseudo, "vote_invalid": vote.get("invalid"),
            "vote_invalid_videos": vote.get("invalid_videos", [])}


def build_summary(plan: Plan, step_names: list[str]) -> dict[str, Any]:
    """Everything the report shows, as plain data (accuracies and rates in percent)."""
    work = plan.work
    seconds = step_seconds(plan, [n for n in step_names if n != "report"])
    rows = ablation_table(work, ablation.rows(plan))
    normal = next((r["test_top1"] for r in rows if r["key"] == "normal_only"), None)
    adapted = next((r["test_top1"] for r in rows if r["key"] == "bn_gamma"), None)
    return {
        "preset": plan.preset.name, "stages": plan.last, "ablation_model": plan.preset.ablation_model,
        "models": model_table(plan),
        "pseudo": pseudo_table(plan),
        "submission": {"file": "submission.csv", **_scored(work, "submission.csv", "test_labels.csv"),
                       **_scored(work, "ensemble/fixed/submission.csv", "test_labels.csv", "fixed_vote_test")},
        "ablation": rows,
        "normal_only_drop": None if normal is None or adapted is None else round(adapted - normal, 2),
        "data_problems": data_problems(plan),
        "seconds": seconds,
        "total_seconds": round(sum(v for v in seconds.values() if v is not None), 1),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Write report.md, summary.json and the figures; returns the exit status."""
    from .report_md import render_markdown

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", type=Path, default=Path("."))
    parser.add_argument("--preset", required=True, help="preset name or YAML path")
    args = parser.parse_args(argv)
    work = args.work_dir.resolve()
    preset = load_preset(args.preset)
    steps = build_plan(preset, work)
    plan = Plan(preset, work)
    summary = build_summary(plan, [s.name for s in steps])
    out = work / "report"
    write_json(out / "summary.json", summary)
    plots.accuracy_plot(out / "accuracy.png", summary["models"])
    plots.pseudo_plot(out / "pseudo.png", summary["pseudo"])
    cfg = get_cfg()
    first = read_split_list(work / DATA / cfg.DATA.SPLIT_CSV.TEST, num_classes=cfg.MODEL.NUM_CLASSES).paths[0]
    plots.frames_strip(out / "frames.png", work / DATA, f"{cfg.DATA.VIDEO_DIR.TEST}/{first}", cfg.DATA.GAMMA)
    atomic_write_text(out / "report.md", render_markdown(summary, list(cfg.DATA.CLASS_NAMES)))
    print(f"report -> {out / 'report.md'}; submission top-1 {summary['submission']['test_top1']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
