"""Markers, fingerprints, skips, reruns and failure reports of the pipeline runner (shell steps only)."""
import io
import json

import pytest

from darkvid.pipeline.runner import Runner, StepFailed
from darkvid.pipeline.step import Command, Step, fingerprint, is_complete, marker_path


def sh(script: str) -> Command:
    return Command(("sh", "-c", script))


def count_step(name="count", outputs=("out.txt",), configs=(), inputs=(), deps=(), clean=()):
    """A step that appends one line to runs.txt (so tests can count its runs) and writes out.txt."""
    return Step(name, (sh(f"echo {name} >> runs.txt && echo done > out.txt"),), outputs, inputs, configs, deps, clean)


def runs(tmp_path):
    path = tmp_path / "runs.txt"
    return path.read_text().split() if path.exists() else []


def run(tmp_path, steps, **kwargs):
    return Runner(tmp_path, stream=io.StringIO()).run(steps, **kwargs)


def test_complete_step_is_skipped_and_marker_records_fingerprint(tmp_path):
    step = count_step()
    assert set(run(tmp_path, [step])) == {"count"}
    marker = json.loads(marker_path(tmp_path, "count").read_text())
    assert marker["fingerprint"] == fingerprint(step, tmp_path) and marker["outputs"] == ["out.txt"]
    assert run(tmp_path, [step]) == {}
    assert runs(tmp_path) == ["count"]


def test_changed_config_invalidates_and_cleans(tmp_path):
    (tmp_path / "cfg.yaml").write_text("a: 1\n")
    (tmp_path / "exp").mkdir()
    step = count_step(configs=("cfg.yaml",), clean=("exp",))
    run(tmp_path, [step])
    (tmp_path / "exp" / "old_checkpoint.pyth").write_text("x")
    (tmp_path / "cfg.yaml").write_text("a: 2\n")
    assert not is_complete(step, tmp_path)
    run(tmp_path, [step])
    assert runs(tmp_path) == ["count", "count"]
    assert not (tmp_path / "exp").exists(), "a stale step's training folder must go (auto-resume would reuse it)"


def test_changed_input_file_invalidates(tmp_path):
    (tmp_path / "in.csv").write_text("1\n")
    step = count_step(inputs=("in.csv",))
    run(tmp_path, [step])
    (tmp_path / "in.csv").write_text("1\n2\n")
    run(tmp_path, [step])
    assert runs(tmp_path) == ["count", "count"]


def test_missing_output_invalidates(tmp_path):
    step = count_step()
    run(tmp_path, [step])
    (tmp_path / "out.txt").unlink()
    assert not is_complete(step, tmp_path)
    run(tmp_path, [step])
    assert runs(tmp_path) == ["count", "count"] and (tmp_path / "out.txt").exists()


def test_killed_step_without_marker_reruns_keeping_partial_outputs(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "checkpoint_epoch_00001.pyth").write_text("partial")  # left by a killed run
    (tmp_path / "out.txt").write_text("partial")
    step = count_step(clean=("exp",))
    assert not is_complete(step, tmp_path), "partial outputs without a marker are never complete"
    run(tmp_path, [step])
    assert runs(tmp_path) == ["count"]
    assert (tmp_path / "exp" / "checkpoint_epoch_00001.pyth").exists(), "kept for run_net's auto-resume"


def test_failure_names_step_command_and_log_tail(tmp_path):
    step = Step("broken", (sh("for i in $(seq 1 60); do echo line$i; done; exit 3"),), ("never.txt",))
    with pytest.raises(StepFailed) as info:
        run(tmp_path, [step])
    text = info.value.report()
    assert "step broken failed: exit status 3" in text
    assert "command: sh -c 'for i in" in text
    tail = info.value.tail().splitlines()
    assert tail[-1] == "line60" and len(tail) == 40 and "line20" not in tail
    assert not marker_path(tmp_path, "broken").exists()


def test_missing_outputs_after_success_fail_the_step(tmp_path):
    step = Step("quiet", (sh("true"),), ("expected.txt",), note="make it by hand")
    with pytest.raises(StepFailed, match="outputs missing or empty: expected.txt. make it by hand"):
        run(tmp_path, [step])
    assert not marker_path(tmp_path, "quiet").exists()


def test_failure_stops_later_steps(tmp_path):
    bad = Step("bad", (sh("exit 1"),), ("x",))
    later = count_step("later", deps=("bad",))
    with pytest.raises(StepFailed):
        run(tmp_path, [bad, later])
    assert runs(tmp_path) == []


def test_dependencies_run_first_with_parallel_jobs(tmp_path):
    first = Step("a", (sh("sleep 0.2; echo a > a.txt"),), ("a.txt",))
    other = Step("b", (sh("echo b > b.txt"),), ("b.txt",))
    needs = Step("c", (sh("cat a.txt b.txt > c.txt"),), ("c.txt",), deps=("a", "b"))
    Runner(tmp_path, jobs=2, stream=io.StringIO()).run([first, other, needs])
    assert (tmp_path / "c.txt").read_text() == "a\nb\n"


def test_forced_step_reruns_and_outside_dependency_must_be_complete(tmp_path):
    step = count_step("one", deps=("zero",))
    with pytest.raises(StepFailed, match="needs step\\(s\\) zero"):
        run(tmp_path, [step], outside_ok=lambda name: False)
    run(tmp_path, [step])
    run(tmp_path, [step], force={"one"})
    assert runs(tmp_path) == ["one", "one"]


def test_progress_lines(tmp_path):
    stream = io.StringIO()
    Runner(tmp_path, stream=stream).run([count_step("a"), count_step("b")])
    Runner(tmp_path, stream=stream).run([count_step("a"), count_step("b")])
    lines = stream.getvalue().splitlines()
    assert "step 1 of 2: a" in lines and "step 2 of 2: b" in lines
    assert "step 2 of 2: b (up to date, skipped)" in lines


def test_empty_output_that_must_hold_rows_fails(tmp_path):
    step = Step("pseudo", (sh(": > rows.csv"),), ("rows.csv",), nonempty=("rows.csv",), note="lower the target")
    with pytest.raises(StepFailed, match="rows.csv. lower the target"):
        run(tmp_path, [step])


def test_parallel_commands_split_the_cores_unless_the_user_chose(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    step = Step("t", (sh("echo $OMP_NUM_THREADS > t.txt"),), ("t.txt",))
    Runner(tmp_path, jobs=4, stream=io.StringIO()).run([step])
    assert (tmp_path / "t.txt").read_text().strip() == "2"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    Runner(tmp_path, jobs=4, stream=io.StringIO()).run([step], force=["t"])
    assert (tmp_path / "t.txt").read_text().strip() == "3"


def test_a_copied_work_directory_keeps_its_completed_steps(tmp_path):
    import shutil

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "in.txt").write_text("x")
    step = count_step(inputs=("in.txt",))
    run(tmp_path / "a", [step])
    shutil.copytree(tmp_path / "a", tmp_path / "b", copy_function=shutil.copy2)
    assert is_complete(step, tmp_path / "b") and run(tmp_path / "b", [step]) == {}


def test_only_epoch_ends_and_results_are_echoed(tmp_path):
    log = ("[1 INFO darkvid] epoch 1  iter 5/88  lr 0.1  source_loss 0.6  source_top1 75\\n"
           "[1 INFO darkvid] epoch 1  iter 88/88  lr 0.1  source_loss 0.5  source_top1 80\\n"
           "[1 INFO trainer] eval arid: top1 40.91  top5 77.27\\n")
    stream = io.StringIO()
    Runner(tmp_path, stream=stream).run([Step("t", (sh(f"printf '{log}' && echo ok > t.txt"),), ("t.txt",))])
    echoed = [line for line in stream.getvalue().splitlines() if line.startswith("  [t]")]
    assert len(echoed) == 2 and "iter 88/88" in echoed[0] and "eval arid" in echoed[1]
