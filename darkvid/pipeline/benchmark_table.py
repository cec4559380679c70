"""The benchmark's one table, from each set's WORK_ROOT/<name>/report/summary.json.

Per set: final top-1 (the submission) with its 95% interval, the best adapt-BN model's test top-1,
the normal-light-only ablation row, the gain of the final result over the best adapt-BN model and
the time; then mean and sample standard deviation of each over the sets of each group (a variant's
sets apart, as "eval + VARIANT"). A set without a summary is listed as not run and left out of the means.
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from darkvid.ensemble.io import atomic_write_text, write_csv, write_json

from .benchmark import GROUPS, BenchSet

METRICS = ("final_top1", "best_adapt_bn_top1", "normal_only_top1", "gain", "lowest_normal_val", "step_seconds",
           "wall_seconds")
WALL_FILE = "benchmark_wall.json"  # seconds the last run_benchmark call of a set took, in its work dir
_HEADER = ("set", "group", "seed", "exposure", "noise", "final top-1 (95% interval)", "best adapt-BN",
           "normal light only", "gain", "lowest normal val", "step time (s)", "wall (s)")


def set_row(bench: BenchSet, summary: dict[str, Any] | None, wall: float | None = None) -> dict[str, Any]:
    """One set's numbers from its summary.json (None where the summary or the number is missing)."""
    row: dict[str, Any] = {"set": bench.name, "group": bench.group, "variant": bench.variant,
                           "data_seed": bench.data_seed,
                           "exposure": list(bench.exposure) if bench.exposure else None, "noise": bench.noise,
                           "status": "not run" if summary is None else "done"}
    summary = summary or {}
    sub = summary.get("submission", {})
    adapt = [r.get("test_top1") for r in summary.get("models", {}).get("adapt_bn", {}).values()]
    adapt = [v for v in adapt if v is not None]
    normal = next((r.get("test_top1") for r in summary.get("ablation", []) if r.get("key") == "normal_only"), None)
    final, best = sub.get("test_top1"), max(adapt) if adapt else None
    # does every model at every stage still know the task (normal-light validation)?
    normal_val = [r.get("normal_val_top1") for stage in summary.get("models", {}).values() for r in stage.values()]
    normal_val = [v for v in normal_val if v is not None]
    row.update(final_top1=final, final_top1_interval95=sub.get("test_top1_interval95"),
               test_videos=sub.get("test_videos"), best_adapt_bn_top1=best, normal_only_top1=normal,
               gain=None if final is None or best is None else round(final - best, 2),
               lowest_normal_val=min(normal_val) if normal_val else None,
               step_seconds=summary.get("total_seconds"), wall_seconds=wall)
    return row


def read_rows(sets: list[BenchSet], work_root: Path) -> list[dict[str, Any]]:
    """Every set's row, read from WORK_ROOT/<name>/report/summary.json and its wall-time record."""
    rows = []
    for bench in sets:
        work = work_root / bench.name
        summary_path = work / "report" / "summary.json"
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
        wall_path = work / WALL_FILE
        wall = json.loads(wall_path.read_text()).get("seconds") if wall_path.exists() else None
        rows.append(set_row(bench, summary, wall))
    return rows


def group_label(row: dict[str, Any]) -> str:
    """The group a row is averaged in: its group, or "GROUP + VARIANT" for a variant's sets."""
    return f"{row['group']} + {row['variant']}" if row.get("variant") else row["group"]


def group_stats(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """group label -> metric -> mean, sample std (None for fewer than two sets) and the number of sets."""
    out: dict[str, dict[str, dict[str, float | int | None]]] = {}
    labels = sorted({group_label(r) for r in rows},
                    key=lambda label: (GROUPS.index(label.split(" + ")[0]), label))
    for group in labels:
        members = [r for r in rows if group_label(r) == group]
        out[group] = {}
        for metric in METRICS:
            values = [r[metric] for r in members if r[metric] is not None]
            out[group][metric] = {
                "mean": round(statistics.fmean(values), 2) if values else None,
                "std": round(statistics.stdev(values), 2) if len(values) > 1 else None,
                "sets": len(values)}
    return out


def _num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _final(row: dict[str, Any]) -> str:
    span = row.get("final_top1_interval95")
    return _num(row["final_top1"]) + (f" ({span[0]:.1f}-{span[1]:.1f})" if span else "")


def _cells(row: dict[str, Any]) -> list[str]:
    exposure = "default" if row["exposure"] is None else f"{row['exposure'][0]:g}-{row['exposure'][1]:g}"
    noise = "default" if row["noise"] is None else f"{row['noise']:g}"
    return [row["set"], group_label(row), str(row["data_seed"]), exposure, noise,
            _final(row) if row["status"] == "done" else "not run", _num(row["best_adapt_bn_top1"]),
            _num(row["normal_only_top1"]), _num(row["gain"]), _num(row["lowest_normal_val"]),
            _num(row["step_seconds"], 0),
            _num(row["wall_seconds"], 0)]


def _stat_cells(group: str, stats: dict[str, dict[str, Any]]) -> list[str]:
    def cell(metric: str, digits: int = 2) -> str:
        s = stats[metric]
        return "—" if s["mean"] is None else f"{s['mean']:.{digits}f} ± {_num(s['std'], digits)}"

    return [f"**{group}: mean ± sd** ({stats['final_top1']['sets']} sets)", group, "", "", "",
            cell("final_top1"), cell("best_adapt_bn_top1"), cell("normal_only_top1"), cell("gain"),
            cell("lowest_normal_val"), cell("step_seconds", 0), cell("wall_seconds", 0)]


def render_markdown(rows: list[dict[str, Any]], stats: dict[str, Any]) -> str:
    """The table as Markdown: one row per set, then one mean ± sd row per group."""
    lines = ["# darkvid benchmark", "",
             ("Dark test top-1 (%) per synthetic set. Final: the submission, with its 95% Wilson interval; "
             "best adapt-BN: the best model after BN adaptation alone (1x1); normal light only: the "
             "ablation's model trained on normal light, no adaptation, no gamma; gain: final minus best "
             "adapt-BN; lowest normal val: the lowest normal-light validation top-1 of any model at any "
             "stage (does every model still know the task?). Step time: the sum of the pipeline's step "
             "times (steps may overlap); wall: the "
             "last run_benchmark call on the set (a resumed run counts only what it ran). Group rows: "
             "mean ± sample standard deviation over the sets run; tune sets are where settings were "
             "chosen, eval sets were never used to choose anything; \"eval + X\" rows are the eval sets "
             "run with the change X (a benchmark file's variant), averaged apart."), "",
             "| " + " | ".join(_HEADER) + " |", "|" + "|".join(" --- " for _ in _HEADER) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    lines += ["| " + " | ".join(_stat_cells(g, s)) + " |" for g, s in stats.items()]
    return "\n".join(lines) + "\n"


def write_table(rows: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """OUT.md, OUT.csv and OUT.json (rows and group statistics); returns the paths."""
    stats = group_stats(rows)
    paths = {"md": out.with_suffix(".md"), "csv": out.with_suffix(".csv"), "json": out.with_suffix(".json")}
    atomic_write_text(paths["md"], render_markdown(rows, stats))
    keys = ["set", "group", "data_seed", "exposure", "noise", "status", "final_top1", "final_top1_interval95",
            "test_videos", *METRICS[1:], "variant"]
    write_csv(paths["csv"], [[_csv(r[k]) for k in keys] for r in rows], header=keys)
    write_json(paths["json"], {"sets": rows, "groups": stats})
    return paths


def _csv(value: Any) -> Any:
    """Lists as LOW-HIGH text, missing values empty."""
    if value is None:
        return ""
    return "-".join(f"{v:g}" for v in value) if isinstance(value, list) else value
