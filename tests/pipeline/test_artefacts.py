"""run_pipeline.py --artefacts: published checkpoints and pseudo labels stand in for their steps, checked first."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from darkvid.pipeline.artefact_checks import pseudo_csv_problems
from darkvid.pipeline.artefacts import find_imports, place
from darkvid.pipeline.layout import MODELS, experiment_config
from darkvid.pipeline.presets import REPO
from darkvid.pipeline.step import Step, is_complete, is_imported, state
from tests.conftest import shared_path, tree_digest

CLASSES = 11


def _load_cli():
    spec = importlib.util.spec_from_file_location("run_pipeline_artefacts", REPO / "tools" / "run_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLI = _load_cli()


@pytest.fixture(scope="module")
def micro_root(tmp_path_factory) -> Path:
    """A micro dataset made by the pipeline's own data step, then read as a --data-root."""
    work = tmp_path_factory.mktemp("micro")
    assert CLI.main(["--preset", "micro", "--work-dir", str(work), "--only", "data"]) == 0
    return work / "data"


def _pseudo_rows(pool_csv: Path, count: int, bad: str | None = None) -> str:
    videos = [line.split(",")[0] for line in pool_csv.read_text().splitlines() if line.strip()][:count]
    if bad is not None:
        videos[2] = bad  # line 3
    probs = ",".join(["0.05"] * (CLASSES - 1) + ["0.5"])
    return "".join(f"{video},{CLASSES - 1},{probs}\n" for video in videos)


def _checkpoint(model: str, path: Path) -> None:
    """A stage-1 best.pyth of the micro preset's tiny `model` (initial weights: only loading is checked)."""
    from darkvid.models import build_model

    exp = f"exp_pseudo_stage1/{model}"
    cfg = experiment_config(exp, "tiny", ())
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model_state": build_model(cfg).state_dict(), "epoch": 1}, path)


@pytest.fixture(scope="module")
def seed_like(micro_root, tmp_path_factory) -> Path:
    """Stage-1 checkpoints of the four models and the stage-2 pseudo labels, in the seed's layout (data/pseudo)."""
    folder = tmp_path_factory.mktemp("published")
    for model in MODELS:
        _checkpoint(model, folder / "exp_pseudo_stage1" / model / "best.pyth")
    (folder / "data" / "pseudo").mkdir(parents=True)
    (folder / "data" / "pseudo" / "stage2.csv").write_text(_pseudo_rows(micro_root / "total_unlabel.csv", 8))
    return folder


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = CLI.main(["--preset", "micro", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _states(listing: str) -> dict[str, str]:
    return {line.split()[1]: " ".join(line.split()[2:]) for line in listing.splitlines()}


def test_imported_steps_are_done_the_next_ones_pending_and_the_folder_untouched(micro_root, seed_like, tmp_path,
                                                                                capsys):
    before = tree_digest(seed_like)
    common = ("--work-dir", str(tmp_path / "work"), "--data-root", str(micro_root), "--artefacts", str(seed_like))
    code, out, _ = _cli(capsys, *common, "--list")
    states = _states(out)
    assert code == 0
    assert {states[f"stage1.{m}"] for m in MODELS} == {states["pseudo2"]} == {"imported"}
    assert {states[f"stage2.{m}"] for m in MODELS} == {"to run"} and states["ensemble"] == "to run"
    assert states["adapt_bn.sf32_k700"] == states["pseudo1"] == "not run from this start"
    assert (tmp_path / "work" / "pseudo" / "stage2.csv").resolve() == seed_like / "data" / "pseudo" / "stage2.csv"
    code, out, _ = _cli(capsys, *common, "--check")
    assert code == 0, out
    assert "imported stage1.mvit_b32_k600" in " ".join(out.split()) and "adapt_bn" not in out
    assert tree_digest(seed_like) == before


def test_a_missing_checkpoint_or_prediction_is_named_before_anything_runs(micro_root, seed_like, tmp_path, capsys):
    partial = tmp_path / "partial"
    shutil.copytree(seed_like, partial)
    shutil.rmtree(partial / "exp_pseudo_stage1" / "sf32_k700")
    work = tmp_path / "work"
    code, _, err = _cli(capsys, "--work-dir", str(work), "--data-root", str(micro_root), "--artefacts", str(partial),
                        "--from", "stage2")
    assert code == 2 and "--from stage2 needs step stage1.sf32_k700" in err
    assert "exp_pseudo_stage1/sf32_k700/best.pyth" in err and not (work / "exp_pseudo_stage2").exists()
    (partial / "data" / "pseudo" / "stage2.csv").unlink()
    shutil.copytree(seed_like / "exp_pseudo_stage1" / "sf32_k700", partial / "exp_pseudo_stage1" / "sf32_k700")
    code, _, err = _cli(capsys, "--work-dir", str(tmp_path / "work2"), "--data-root", str(micro_root),
                        "--artefacts", str(partial))
    assert code == 2 and "step pseudo2 needs exp_pseudo_stage1/" in err and "import pseudo/stage2.csv instead" in err


def test_a_pseudo_label_of_an_unknown_video_is_refused_naming_file_and_line(micro_root, tmp_path, capsys):
    pool = micro_root / "total_unlabel.csv"
    csv = tmp_path / "published" / "pseudo" / "stage2.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text(_pseudo_rows(pool, 5, bad="nosuch.mp4"))
    assert pseudo_csv_problems(csv, pool, CLASSES) == [f"{csv}:3: video 'nosuch.mp4' is not in the pool {pool}"]
    code, out, _ = _cli(capsys, "--work-dir", str(tmp_path / "work"), "--data-root", str(micro_root),
                        "--artefacts", str(csv.parents[1]), "--check")
    assert code == 1 and f"{csv}:3: video 'nosuch.mp4'" in out
    # --only with artefacts checks them too, and runs nothing when they are bad
    code, _, err = _cli(capsys, "--work-dir", str(tmp_path / "work_only"), "--data-root", str(micro_root),
                        "--artefacts", str(csv.parents[1]), "--only", "stage2")
    assert code == 2 and f"{csv}:3: video 'nosuch.mp4'" in err
    assert not (tmp_path / "work_only" / "exp_pseudo_stage2").exists()


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    from darkvid.pipeline.artefact_checks import import_problems
    from darkvid.pipeline.graph import build_plan
    from darkvid.pipeline.presets import load_preset

    work = tmp_path / "work"
    steps = build_plan(load_preset("micro"), work)
    published = tmp_path / "published"
    _checkpoint("sf32_k700", published / "exp_pseudo_stage1" / "mvit_b32_k600" / "best.pyth")
    imports = find_imports(steps, [published])
    place(imports, work)
    problems = import_problems(imports, steps, work, "tiny")
    assert len(problems) == 1 and "imported as exp_pseudo_stage1/mvit_b32_k600/best.pyth" in problems[0]


def test_an_import_lasts_until_its_file_changes_and_a_work_dir_file_is_never_replaced(tmp_path):
    from darkvid.pipeline.artefacts import ArtefactError

    step = Step("stage1.m", (), ("exp/m/best.pyth", "exp/m/preds.pkl"))
    published, work = tmp_path / "published", tmp_path / "work"
    (published / "exp" / "m").mkdir(parents=True)
    (published / "exp" / "m" / "best.pyth").write_bytes(b"weights")
    imports = find_imports([step], [published])
    assert [rel for rel, _ in imports["stage1.m"].files] == ["exp/m/best.pyth"]
    place(imports, work)
    assert is_imported(step, work) and is_complete(step, work) and state(step, work) == "imported"
    (published / "exp" / "m" / "best.pyth").write_bytes(b"other weights")
    assert not is_complete(step, work)
    (work / "exp" / "m" / "best.pyth").unlink()
    (work / "exp" / "m" / "best.pyth").write_bytes(b"trained here")
    with pytest.raises(ArtefactError, match="made in the work directory"):
        place(imports, work)


def test_the_seeds_pseudo_labels_name_only_pool_videos():
    pool = shared_path("seed_data", "total_unlabel.csv")
    for stage in (1, 2, 3, 4):
        assert pseudo_csv_problems(shared_path("seed_data", "pseudo", f"stage{stage}.csv"), pool, CLASSES) == []


def test_only_from_reruns_completed_steps_after_the_imports(tmp_path):
    """Repeating an --artefacts command resumes it (a finished stage is not retrained); --from reruns."""
    from darkvid.pipeline.graph import build_plan
    from darkvid.pipeline.presets import load_preset
    from darkvid.pipeline.start import plan_start

    steps = build_plan(load_preset("micro"), tmp_path)
    imported = {f"stage1.{m}" for m in MODELS} | {"pseudo2"}
    assert plan_start(steps, tmp_path, None, imported).force == set()
    rerun = plan_start(steps, tmp_path, "stage2", imported).force
    assert {f"stage2.{m}" for m in MODELS} <= rerun and "ensemble" in rerun and not rerun & imported
