"""A work directory's ensemble against the pipeline's own vote, and bundles: moved, tampered, truncated."""
from __future__ import annotations

import csv
import shutil

import pytest

from darkvid.engine.tester import run_test
from darkvid.inference import (
    BundleError,
    Predictor,
    export_bundle,
    paths_of,
    verify_bundle,
)
from darkvid.inference.cli import predict_main

from .conftest import VOTE_MEMBERS, tiny_run_cfg


def _rows(predictor, data_root):
    return list(predictor.rows(paths_of([str(data_root / "Test")], num_classes=11), workers=0, batch_size=4))


def _test_like_the_pipeline(work, data_root):
    """What the last stage's run.sh predicts: TEST.DATA_SELECT test first, the other views as extra views."""
    views = {}
    for _, run, v, c in VOTE_MEMBERS:
        views.setdefault(run, []).append(f"test:{v}:{c}")
    for run, specs in views.items():
        _, v, c = specs[0].split(":")
        run_test(tiny_run_cfg(data_root, work / run, "TEST.NUM_ENSEMBLE_VIEWS", v, "TEST.NUM_SPATIAL_CROPS", c,
                              "TEST.CHECKPOINT_FILE_PATH", str(work / run / "best.pyth"),
                              "TEST.EXTRA_VIEWS", repr(specs[1:])))


def test_ensemble_vote_matches_the_pipelines_vote(work_dir, data_root, tmp_path):
    from darkvid.ensemble.vote_config import load_vote_config, run_vote

    work = shutil.copytree(work_dir, tmp_path / "work")
    _test_like_the_pipeline(work, data_root)
    outputs = run_vote(load_vote_config(work / "configs" / "vote_fixed.yaml", root=str(work)))
    with open(outputs["vote"]) as handle:
        submitted = list(csv.DictReader(handle))
    predictor = Predictor.from_ensemble(work, device="cpu")
    rows = _rows(predictor, data_root)
    assert [r["path"].rsplit("/", 1)[-1] for r in rows] == [s["Video"] for s in submitted]
    for row, sub in zip(rows, submitted):
        assert row["vote"] == predictor.classes[int(sub["ClassID"])]
        assert row["vote_probability"] == pytest.approx(float(sub["Probability"]), abs=2e-6)
        assert 0 < row["agreement"] <= 1 and row["error"] == ""


def test_a_moved_bundle_predicts_as_the_work_directory(work_dir, data_root, tmp_path):
    work = shutil.copytree(work_dir, tmp_path / "work")
    expected = _rows(Predictor.from_ensemble(work, device="cpu"), data_root)
    export_bundle(work, tmp_path / "bundle")
    shutil.rmtree(work)
    moved = shutil.move(tmp_path / "bundle", tmp_path / "elsewhere" / "b")
    manifest = verify_bundle(moved)
    assert manifest["classes"][0] == "Drink" and set(manifest["preprocessing"]) == {m[0] for m in VOTE_MEMBERS}
    assert _rows(Predictor.from_bundle(moved, device="cpu"), data_root) == expected


@pytest.fixture
def bundle(work_dir, tmp_path):
    return export_bundle(work_dir, tmp_path / "bundle")


def test_a_changed_file_is_refused_with_its_name(bundle):
    config = next(bundle.glob("models/*/config.yaml"))
    text = config.read_bytes()
    config.write_bytes(text.replace(b"NUM_FRAMES: 8", b"NUM_FRAMES: 9"))
    with pytest.raises(BundleError, match=rf"changed: {config}"):
        verify_bundle(bundle)


def test_a_truncated_file_is_refused_with_its_name(bundle, data_root, capsys):
    weights = next(bundle.glob("models/*/best.pyth"))
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(BundleError, match=rf"truncated: {weights}"):
        verify_bundle(bundle)
    assert predict_main(["--bundle", str(bundle), str(data_root / "Test"), "--device", "cpu"]) == 2
    assert str(weights) in capsys.readouterr().err


def test_export_refuses_an_existing_folder(work_dir, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(BundleError, match="already exists"):
        export_bundle(work_dir, tmp_path / "taken")
