"""report.md rendering and the figures, from a small hand-made summary."""
from darkvid.pipeline import plots
from darkvid.pipeline.genconf import vote_views
from darkvid.pipeline.report_md import render_markdown

NAMES = ["Drink", "Jump", "Pick", "Pour", "Push", "Run", "Sit", "Stand", "Turn", "Walk", "Wave"]


def summary():
    row = {"normal_val_top1": 80.0, "dark_val_top1": None, "test_top1": 55.5}
    return {
        "preset": "micro", "stages": 1, "ablation_model": "uniformer_b32_k600",
        "models": {"adapt_bn": {"mvit_b32_k600": row}, "stage1": {"mvit_b32_k600": dict(row, dark_val_top1=60.0)}},
        "pseudo": {"stage1": {"selected": 5, "pool": 22, "pool_coverage": 22.73, "coverage": 40.0, "precision": 75.0,
                              "target_precision": 95.0, "coverage_per_class": [50.0] * 11,
                              "precision_per_class": [None] * 11, "thresholds": [0.5] * 11}},
        "submission": {"test_top1": 63.64, "fixed_vote_test_top1": 54.55, "test_videos": 11,
                       "test_top1_interval95": [35.4, 84.8]},
        "ablation": [{"key": "normal_only", "label": "normal light only", "file": "a.pkl", "test_top1": 9.09,
                      "vs_previous": None},
                     {"key": "gamma", "label": "+ gamma", "file": "b.pkl", "test_top1": 72.73, "test_videos": 11,
                      "test_top1_interval95": [43.4, 90.3],
                      "vs_previous": {"videos": 11, "gained": 7, "lost": 0, "p_value": 0.0156, "significant": True,
                                      "alpha": 0.05}}],
        "normal_only_drop": 12.5, "seconds": {"data": 3.21, "pseudo1": None}, "total_seconds": 3.2,
    }


def test_markdown_has_every_section_and_marks_missing_numbers():
    text = render_markdown(summary(), NAMES)
    assert "dark test top-1 **63.64%**, 95% interval 35.4-84.8 on 11 videos" in text
    assert "fixed vote weights: 54.55%" in text
    assert "| stage1 | mvit_b32_k600 | 80.00 | 60.00 | 55.50 |" in text
    assert "| adapt_bn | mvit_b32_k600 | 80.00 | — | 55.50 |" in text
    with_intervals = summary()
    with_intervals["models"]["adapt_bn"]["mvit_b32_k600"] = dict(
        with_intervals["models"]["adapt_bn"]["mvit_b32_k600"], normal_val_top1_interval95=[70.2, 87.3],
        test_top1_interval95=[45.1, 65.5])
    assert "| adapt_bn | mvit_b32_k600 | 80.00 (70.2-87.3) | — | 55.50 (45.1-65.5) |" in render_markdown(
        with_intervals, NAMES)
    assert "| stage1 | 5/22 | 22.73 | 40.00 | 75.00 | 95.00 |" in text
    assert "| stage1 | 50 / — |" in text and "| normal light only | 9.09 | — | `a.pkl` |" in text
    assert "| + gamma | 72.73 (43.4-90.3) | +7 / -0, p = 0.0156, significant at 0.05 | `b.pkl` |" in text
    assert "| data | 3.2 |" in text and "| pseudo1 | — |" in text
    floored = summary()
    floored["pseudo"]["stage1"]["selected_by_thresholds"] = 2
    assert "| stage1 | 5/22 (floor; thresholds: 2) |" in render_markdown(floored, NAMES)
    tiny = summary()
    tiny["ablation"][1]["vs_previous"]["p_value"] = 6.3e-30
    assert "+7 / -0, p < 0.001, significant at 0.05" in render_markdown(tiny, NAMES)
    assert "12.50 points" in text


def test_plots_write_pngs(tmp_path):
    data = summary()
    assert plots.accuracy_plot(tmp_path / "a.png", data["models"]).read_bytes()[:4] == b"\x89PNG"
    assert plots.pseudo_plot(tmp_path / "p.png", data["pseudo"]).stat().st_size > 1000


def test_vote_names_map_to_models_and_views():
    views = {name: (model, v, c) for name, model, v, c in vote_views()}
    assert views["sf_3x3"] == ("sf32_k700", 3, 3) and views["dense_1x1"] == (None, 1, 1)
    assert len(views) == 10


def test_pseudo_labels_are_also_scored_on_the_hidden_label_videos(tmp_path):
    from darkvid.pipeline.report import _hidden_quality

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dark_unlabel_labels.csv").write_text("0.mp4,5\n1.mp4,4\n2.mp4,3\n3.mp4,1\n")
    pseudo = tmp_path / "stage1.csv"  # two of the four hidden videos chosen, one right; an ARID row ignored
    probs = ",0.1" * 11  # a pseudo row carries one probability per class
    pseudo.write_text(f"0.mp4,5{probs}\n2.mp4,7{probs}\nDrink/Drink_1_1.mp4,0{probs}\n")
    assert _hidden_quality(tmp_path, pseudo) == (50.0, 50.0)
    assert _hidden_quality(tmp_path, tmp_path / "missing.csv") == (None, None)


def test_videos_that_could_not_be_used_reach_the_summary_and_the_report(tmp_path):
    import json

    from darkvid.pipeline.presets import load_preset
    from darkvid.pipeline.report import data_problems
    from darkvid.pipeline.steps import Plan

    plan = Plan(load_preset("micro"), tmp_path)
    run = tmp_path / "exp_pseudo_stage1" / "sf32_k700"
    run.mkdir(parents=True)
    records = [{"kind": "start"}, {"kind": "train", "epoch": 1, "bad_videos": 1, "bad_video_paths": ["a.mp4"]},
               {"kind": "eval", "epoch": 1}, {"kind": "train", "epoch": 2, "bad_videos": 2,
                                              "bad_video_paths": ["a.mp4", "b.mp4"]}]
    (run / "stats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "pseudo").mkdir()
    (tmp_path / "pseudo" / "stage1.json").write_text(json.dumps({"invalid": 3}))
    (tmp_path / "ensemble" / "searched").mkdir(parents=True)
    (tmp_path / "ensemble" / "searched" / "submission.json").write_text(
        json.dumps({"invalid": 1, "invalid_videos": ["7.mp4"]}))
    found = data_problems(plan)
    assert found["bad_training_videos"] == {"exp_pseudo_stage1/sf32_k700": {"count": 2, "videos": ["a.mp4", "b.mp4"]}}
    assert found["bad_training_total"] == 2
    assert found["pseudo_invalid"] == {"stage1": 3} and found["vote_invalid"] == 1
    text = render_markdown(dict(summary(), data_problems=found), NAMES)
    assert "| exp_pseudo_stage1/sf32_k700 | 2 | `a.mp4`, `b.mp4` |" in text
    assert "pseudo labels because a model could not decode all their clips: stage1: 3." in text
    assert "no complete clips for (`TEST.SKIP_BAD_VIDEOS`): 1 (first: `7.mp4`)." in text
