"""report.md from the summary: the model zoo table, pseudo labels, submission, ablation, times."""
from __future__ import annotations

from typing import Any, Optional, Sequence


def _num(value: Optional[float], digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: list[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _interval(sub: dict, prefix: str = "test") -> str:
    span = sub.get(f"{prefix}_top1_interval95")
    if not span:
        return ""
    return f", 95% interval {span[0]:.1f}-{span[1]:.1f} on {sub[f'{prefix}_videos']} videos"


def _acc(row: dict, prefix: str) -> str:
    """`{prefix}_top1` with its 95% interval in brackets when the summary has one."""
    span = row.get(f"{prefix}_top1_interval95")
    text = _num(row.get(f"{prefix}_top1"))
    return text if not span else f"{text} ({span[0]:.1f}-{span[1]:.1f})"


def _paired(vs: dict | None) -> str:
    """The McNemar comparison with the row above: videos gained / lost, p and the verdict."""
    if not vs:
        return "—"
    verdict = "significant" if vs["significant"] else "not significant"
    p = "p < 0.001" if vs["p_value"] < 0.001 else f"p = {vs['p_value']:.3g}"
    return f"+{vs['gained']} / -{vs['lost']}, {p}, {verdict} at {vs['alpha']}"


def _models(summary: dict) -> list[str]:
    rows = [(stage, model, _acc(r, "normal_val"), _acc(r, "dark_val"), _acc(r, "test"))
            for stage, models in summary["models"].items() for model, r in models.items()]
    return ["## Models per stage", "",
            "Top-1 (%) with 1 view x 1 crop: normal-light validation (val_dry, at the epoch best.pyth was "
            "chosen; BN statistics of normal-light training clips while val_dry is in BN.SOURCE_EVAL_SPLITS, "
            "the default), dark validation (arid) and the dark test set (against data/test_labels.csv); in "
            "brackets the 95% Wilson interval.", "",
            *_table(("stage", "model", "normal val", "dark val (arid)", "dark test"), rows), "",
            "![accuracy per stage](accuracy.png)", ""]


def _selected(stage: dict) -> str:
    """Selected / pool, and where the min_selected floor overrode the thresholds, how many they kept."""
    text = f"{stage['selected']}/{stage['pool']}"
    by_thresholds = stage.get("selected_by_thresholds")
    return text if by_thresholds is None else f"{text} (floor; thresholds: {by_thresholds})"


def _pseudo(summary: dict, names: Sequence[str]) -> list[str]:
    pseudo = summary["pseudo"]
    if not pseudo:
        return []
    rows = [(s, _selected(p), _num(p["pool_coverage"]), _num(p["coverage"]), _num(p["precision"]),
             _num(p["target_precision"]), _num(p.get("hidden_coverage")), _num(p.get("hidden_precision")))
            for s, p in pseudo.items()]
    lines = ["## Pseudo labels", "",
             "Selected videos of the pool (total_unlabel); coverage and precision (%) on its labelled ARID "
             "videos; the target precision the automatic thresholds were chosen for (on arid); coverage "
             "and precision on the pool's hidden-label videos where the dataset provides their labels "
             "(data/dark_unlabel_labels.csv, synthetic sets only). \"floor\": the thresholds kept fewer "
             "videos than the preset's min_selected, so the most confident were kept instead (labels the "
             "models are unsure of).", "",
             *_table(("stage", "selected", "pool %", "coverage", "precision", "target", "hidden coverage",
                      "hidden precision"), rows), "",
             "Per class (coverage / precision, %):", ""]
    header = ("stage", *names)
    per_class = [(s, *(f"{_num(c, 0)} / {_num(q, 0)}"
                       for c, q in zip(p["coverage_per_class"], p["precision_per_class"])))
                 for s, p in pseudo.items()]
    return lines + _table(header, per_class) + ["", "![pseudo labels per stage](pseudo.png)", ""]


def _ablation(summary: dict) -> list[str]:
    rows = [(r["label"], _acc(r, "test"), _paired(r.get("vs_previous")), f"`{r['file']}`")
            for r in summary["ablation"]]
    return [f"## Ablation on the dark test set ({summary['ablation_model']})", "",
            "Each row adds one part of the method to the one above (1x1 views x crops until the 3x3 row). "
            "Top-1 with its 95% Wilson interval; against the row above, on the same videos (paired by "
            "video id): videos this row gets right and the one above gets wrong (+) and the reverse (-), "
            "the two-sided exact McNemar p-value and whether it is below the level named.", "",
            *_table(("setting", "test top-1 (%)", "vs row above", "predictions"), rows), "",
            "BN adaptation with gamma against normal-light training alone: "
            f"{_num(summary['normal_only_drop'])} points.", ""]


def _data_problems(summary: dict) -> list[str]:
    """Bad training videos replaced, pool videos left out of pseudo labels, test videos without clips."""
    found = summary.get("data_problems")
    if not found:
        return []
    lines = ["## Videos that could not be used", "",
             f"Bad training videos replaced under `DATA.MAX_BAD_VIDEOS`: {found['bad_training_total']} "
             "(a run stops at its first one unless that key allows more)."]
    rows = [(exp, v["count"], ", ".join(f"`{name}`" for name in v["videos"][:5])) for exp, v in
            found["bad_training_videos"].items()]
    if rows:
        lines += ["", *_table(("run", "videos", "first named"), rows)]
    pseudo = ", ".join(f"{stage}: {n}" for stage, n in found["pseudo_invalid"].items()) or "—"
    invalid = found["vote_invalid"]
    first = ", ".join(f"`{v}`" for v in found["vote_invalid_videos"][:5])
    lines += ["", "Pool videos left out of the pseudo labels because a model could not decode all their clips: "
              f"{pseudo}.",
              f"Test videos the vote had no complete clips for (`TEST.SKIP_BAD_VIDEOS`): {_num(invalid, 0)}"
              + (f" (first: {first})" if first else "") + ".", ""]
    return lines


def _times(summary: dict) -> list[str]:
    rows = [(name, _num(sec, 1)) for name, sec in summary["seconds"].items()]
    return ["## Time per step", "", "Seconds each step took when it last ran (steps may run two at a time).", "",
            *_table(("step", "seconds"), rows), "", f"Sum of step times: {_num(summary['total_seconds'], 1)} s.", ""]


def render_markdown(summary: dict, class_names: Sequence[str]) -> str:
    """The report as Markdown text."""
    sub = summary["submission"]
    lines = [f"# darkvid pipeline report: preset {summary['preset']}", "",
             f"{summary['stages']} pseudo-label stage(s). Machine-readable: `summary.json`.", "",
             "## Submission", "",
             f"`submission.csv`: dark test top-1 **{_num(sub['test_top1'])}%**{_interval(sub)} "
             f"(the seed's fixed vote weights: {_num(sub['fixed_vote_test_top1'])}%"
             f"{_interval(sub, 'fixed_vote_test')}).", "",
             "![confusion matrix of the submission](confusion.png)", "",
             "![a test video: normal light, dark, gamma-corrected](frames.png)", ""]
    lines += _models(summary) + _pseudo(summary, class_names) + _ablation(summary)
    lines += _data_problems(summary) + _times(summary)
    return "\n".join(lines)
