"""Progress bars from the trainings' stats.jsonl records: totals, positions, and silence off a terminal."""
import io
import json
import re
from pathlib import Path

from darkvid.pipeline.progress import TrainingBars, iterations_done


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


START = {"kind": "start", "first_epoch": 3, "last_epoch": 5, "iterations_per_epoch": 10}


def append(path: Path, *records: dict, tail: str = "") -> None:
    with path.open("a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_iterations_done_counts_from_the_first_trained_epoch():
    assert iterations_done(3, 3, 5, 10) == 5
    assert iterations_done(3, 5, 10, 10) == 30
    assert iterations_done(1, 2, 1, 132) == 133


def test_a_resumed_training_gets_a_bar_over_the_remaining_epochs_only(tmp_path):
    stats = tmp_path / "stats.jsonl"
    append(stats, {"kind": "train", "epoch": 2})  # an earlier run's record: not this step's
    bars = TrainingBars(Terminal(), enabled=True)
    bars.follow("adapt.sf", stats)
    append(stats, START)
    bars.poll("adapt.sf")
    entry = bars._follows["adapt.sf"]
    assert entry.bar.total == 30 and entry.bar.n == 0
    append(stats, {"kind": "train", "epoch": 4}, tail='{"kind": "tr')  # a line half written
    bars.poll("adapt.sf")
    assert entry.bar.n == 20
    append(stats, tail='ain", "epoch": 9}\n')
    bars.poll("adapt.sf")
    assert entry.bar.n == 30  # never past the end
    bars.close("adapt.sf")
    assert "adapt.sf" not in bars._follows


def test_parallel_trainings_take_separate_rows_and_reuse_freed_ones(tmp_path):
    bars = TrainingBars(Terminal(), enabled=True)
    for name in ("a", "b", "c"):
        append(tmp_path / name, START)
    for name in ("a", "b"):
        bars.follow(name, tmp_path / name)
        append(tmp_path / name, START)
        bars.poll(name)
    assert (bars._follows["a"].position, bars._follows["b"].position) == (0, 1)
    bars.close("a")
    bars.follow("c", tmp_path / "c")
    append(tmp_path / "c", START)
    bars.poll("c")
    assert bars._follows["c"].position == 0
    bars.close("b")
    bars.close("c")


def test_epoch_records_before_a_start_draw_nothing(tmp_path):
    stream = Terminal()
    bars = TrainingBars(stream, enabled=True)
    bars.follow("x", tmp_path / "stats.jsonl")
    bars.poll("x")  # no file yet
    append(tmp_path / "stats.jsonl", {"kind": "train", "epoch": 1})
    bars.poll("x")
    assert bars._follows["x"].bar is None and stream.getvalue() == ""


def test_disabled_bars_print_lines_as_they_are(tmp_path):
    stream = io.StringIO()
    bars = TrainingBars(stream, enabled=False)
    bars.follow("x", tmp_path / "stats.jsonl")
    append(tmp_path / "stats.jsonl", START)
    bars.poll("x")
    bars.write("step 1 of 2: x")
    assert bars._follows == {} and stream.getvalue() == "step 1 of 2: x\n"


def test_lines_written_while_a_bar_runs_are_kept_in_the_output(tmp_path):
    stream = Terminal()
    bars = TrainingBars(stream, enabled=True)
    bars.follow("x", tmp_path / "stats.jsonl")
    append(tmp_path / "stats.jsonl", START)
    bars.poll("x")
    bars.write("  [x] eval val_dry: top1 50.00")
    bars.close("x")
    assert re.search(r"\[x\] eval val_dry: top1 50\.00", stream.getvalue())


def test_the_trainers_own_stats_drive_a_bar_to_its_end(tmp_path):
    from darkvid.engine.trainer import fit
    from tests.engine.standins import FakeData, make_cfg

    cfg = make_cfg(tmp_path, "LOG_PERIOD", "1")
    bars = TrainingBars(Terminal(), enabled=True)
    bars.follow("s", Path(cfg.OUTPUT_DIR) / "stats.jsonl")
    fit(cfg, data=FakeData())
    bars.poll("s")
    bar = bars._follows["s"].bar
    assert (bar.n, bar.total) == (8, 8)  # 2 epochs of 4 iterations
