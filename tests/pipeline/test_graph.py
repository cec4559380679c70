"""The step graph: order, dependencies, generated configs, and --from / --only selection."""
import pytest
import yaml

from darkvid.pipeline.graph import build_plan, check_graph, matching, select
from darkvid.pipeline.layout import MODELS
from darkvid.pipeline.presets import PresetError, load_preset
from darkvid.pipeline.step import Step


def chain(*names):
    return [Step(n, (), (), deps=(names[i - 1],) if i else ()) for i, n in enumerate(names)]


STEPS = chain("data", "adapt_bn.a", "adapt_bn.b", "pseudo1", "stage1.a", "stage1.b", "report")


@pytest.fixture(scope="module")
def micro_plan(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    return work, build_plan(load_preset("micro"), work)


def test_no_flag_runs_everything_and_forces_nothing():
    chosen, force = select(STEPS)
    assert [s.name for s in chosen] == [s.name for s in STEPS] and force == set()


def test_from_reruns_the_step_and_everything_after():
    chosen, force = select(STEPS, start="pseudo1")
    assert len(chosen) == len(STEPS)
    assert force == {"pseudo1", "stage1.a", "stage1.b", "report"}


def test_from_a_group_starts_at_its_first_member():
    _, force = select(STEPS, start="adapt_bn")
    assert force == {s.name for s in STEPS[1:]}


def test_only_runs_one_step_or_one_group():
    chosen, force = select(STEPS, only="stage1.b")
    assert [s.name for s in chosen] == ["stage1.b"] and force == {"stage1.b"}
    chosen, _ = select(STEPS, only="stage1")
    assert [s.name for s in chosen] == ["stage1.a", "stage1.b"]


def test_unknown_step_and_both_flags_are_errors():
    with pytest.raises(ValueError, match="no step or group named 'stage9'"):
        matching(STEPS, "stage9")
    with pytest.raises(ValueError, match="cannot be combined"):
        select(STEPS, start="data", only="report")


def test_check_graph_rejects_late_dependencies_and_repeats():
    with pytest.raises(ValueError, match="do not come before"):
        check_graph([Step("b", (), (), deps=("a",)), Step("a", (), ())])
    with pytest.raises(ValueError, match="twice"):
        check_graph([Step("a", (), ()), Step("a", (), ())])


def test_micro_plan_order_and_contents(micro_plan):
    work, steps = micro_plan
    names = [s.name for s in steps]
    assert names[0] == "data" and names[-1] == "report"
    assert names.index("pseudo1") > max(names.index(f"adapt_bn.{m}") for m in MODELS)
    assert names.index("pseudo2") > max(names.index(f"stage1.{m}") for m in MODELS)
    assert "stage3.mvit_b32_k600" not in names, "micro runs two pseudo stages"
    expert = steps[names.index("expert.uniformer_b32_ssv2")]
    assert "pseudo2" in expert.deps and "../pseudo/stage2.csv" in expert.commands[0].argv
    assert "pseudo/stage2.csv" in expert.inputs
    stage = steps[names.index("stage1.sf32_k700")]
    assert stage.commands[0].argv[1].endswith("exp_pseudo_stage1/sf32_k700/run.sh")
    assert ("DARKVID_PRESET", "tiny") in stage.commands[0].env
    assert "exp_pseudo_stage1/sf32_k700/aridx16x64x1x1.pkl" in stage.outputs
    assert "exp_adapt_bn/sf32_k700/best.pyth" in stage.inputs and stage.clean == ("exp_pseudo_stage1/sf32_k700",)


def test_generated_pseudo_and_vote_configs(micro_plan):
    work, _ = micro_plan
    pseudo = yaml.safe_load((work / "configs" / "pseudo_stage2.yaml").read_text())
    assert pseudo["thresholds"] == "auto" and pseudo["auto"]["stage"] == 2
    assert pseudo["out"] == "../pseudo/stage2.csv" and pseudo["data_root"] == "data"
    assert pseudo["auto"]["val_predictions"]["mvit_b32_k600"] == "exp_pseudo_stage1/mvit_b32_k600/aridx8x64x1x1.pkl"
    vote = yaml.safe_load((work / "configs" / "vote_fixed.yaml").read_text())
    assert vote["predictions"]["dense_3x3"] == "exp_experts/uniformer_b32_ssv2/testx8x64x3x3.pkl"
    assert vote["predictions"]["sf_1x3"] == "exp_pseudo_stage2/sf32_k700/testx16x64x1x3.pkl"
    assert vote["vote"] == ["mode1", "mode4"] and vote["out"] == "ensemble/fixed/submission.csv"
    ensemble = next(s for s in micro_plan[1] if s.name == "ensemble")
    assert ensemble.commands[-1].argv == ("cp", "ensemble/fixed/submission.csv", "ensemble/fixed/arid_pred.csv",
                                          "ensemble/fixed/ug2-2022.zip", ".")
    assert {"submission.csv", "arid_pred.csv", "ug2-2022.zip"} <= set(ensemble.outputs) & set(ensemble.clean)


def test_presets_load_and_reject_unknown_keys(tmp_path):
    demo = load_preset("demo")
    assert demo.stages == 4 and demo.generator == "demo" and "SOLVER.MAX_EPOCH" in demo.run_overrides("adapt")
    assert load_preset("full").darkvid_preset is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: 2\nepochs: 3\n")
    with pytest.raises(PresetError, match="unknown key"):
        load_preset(str(bad))
    bad.write_text("pseudo: {target_precision: 0.9, floor: 3}\n")
    with pytest.raises(PresetError, match=r"pseudo: unknown key\(s\) \['floor'\]"):
        load_preset(str(bad))
    assert demo.min_selected > 0  # reaches the pseudo-label config (auto.min_selected)


def test_prediction_names_match_the_tester():
    from darkvid.config import load_config
    from darkvid.engine.tester import prediction_path
    from darkvid.pipeline.layout import REPO, View, prediction_file

    preset = load_preset("micro")
    view = View("arid", 3, 3)
    cfg = load_config(REPO / "exp_adapt_bn/sf32_k700/config.yaml", [*preset.run_overrides("all"), *view.overrides()],
                      base=str(REPO / "configs/tiny/sf.yaml"))
    expected = f"exp_adapt_bn/sf32_k700/{prediction_path(cfg).name}"
    assert prediction_file(preset, "exp_adapt_bn/sf32_k700", view) == expected


def test_generator_flags_reach_the_data_step_and_views_share_one_process(tmp_path):
    flags = ("--seed", "3", "--exposure", "0.01", "0.03")
    steps = {s.name: s for s in build_plan(load_preset("demo"), tmp_path, flags)}
    argv = steps["data"].commands[0].argv
    assert argv[argv.index("--seed") + 1] == "3" and argv[argv.index("--exposure") + 1:][:2] == ("0.01", "0.03")
    last = steps["stage4.uniformer_b32_k600"]
    assert len(last.commands) == 1 and last.commands[0].argv[1].endswith("run.sh")
    argv = last.commands[0].argv
    extra_views = yaml.safe_load(argv[argv.index("TEST.EXTRA_VIEWS") + 1])
    assert extra_views == ["arid:1:1", "test:1:3", "test:3:3", "arid:1:3", "arid:3:3"]
    pseudo = yaml.safe_load((tmp_path / "configs" / "pseudo_stage1.yaml").read_text())["auto"]
    # the values in demo.yaml
    assert (pseudo["target_precision"], pseudo["min_selected"], pseudo["search_weights"]) == (0.9, 32, True)
    assert load_preset("full").search_weights is False  # the seed's fixed pseudo-label weights on real data
    # No 3x3 test pass before the last stage, not even for the ablation model (its rows read 1x1 files).
    for name in ("adapt_bn.uniformer_b32_k600", "stage3.uniformer_b32_k600", "stage3.sf32_k700"):
        argv = steps[name].commands[0].argv
        assert yaml.safe_load(argv[argv.index("TEST.EXTRA_VIEWS") + 1]) == ["arid:1:1", "test:1:1"]


def test_a_preset_given_by_relative_path_reaches_the_report_step_absolute(tmp_path, monkeypatch):
    """The report step runs in the work directory, so a path relative to the caller's must not reach it."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "three.yaml").write_text("generator: micro\ndarkvid_preset: tiny\nstages: 3\n")
    monkeypatch.chdir(tmp_path)
    preset = load_preset("mine/three.yaml")
    assert preset.source == tmp_path / "mine" / "three.yaml" and preset.stages == 3
    report = build_plan(preset, tmp_path / "work")[-1]
    words = report.commands[0].argv
    assert words[words.index("--preset") + 1] == str(tmp_path / "mine" / "three.yaml")


def test_every_ablation_row_reads_a_file_some_step_writes(tmp_path):
    """The ablation table costs no prediction pass of its own: its rows read the steps' outputs."""
    from darkvid.pipeline import ablation
    from darkvid.pipeline.steps import Plan

    preset = load_preset("demo")
    written = {out for step in build_plan(preset, tmp_path) for out in step.outputs}
    rows = ablation.rows(Plan(preset, tmp_path))
    assert {r.file for r in rows} <= written
    keys = [r.key for r in rows]
    assert keys[3:9] == ["bn_gamma", "stage1", "stage2", "stage3", "stage4", "views"]
    assert all(r.file.endswith("x1x1.pkl") for r in rows[:8]) and rows[8].file.endswith("x3x3.pkl")
