"""Progress bars from training log lines: totals, positions, and silence off a terminal."""
import io
import re

from darkvid.pipeline.progress import TrainingBars, iterations_done


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


START = "[12:00:00 INFO darkvid.engine.trainer] training epochs 3-5 of 5, 10 iterations per epoch\n"


def test_iterations_done_counts_from_the_first_trained_epoch():
    assert iterations_done(3, 3, 5, 10) == 5
    assert iterations_done(3, 5, 10, 10) == 30
    assert iterations_done(1, 2, 1, 132) == 133


def test_a_resumed_training_gets_a_bar_over_the_remaining_epochs_only():
    bars = TrainingBars(Terminal(), enabled=True)
    bars.feed("adapt.sf", START)
    entry = bars._bars["adapt.sf"]
    assert entry.bar.total == 30 and entry.bar.n == 0
    bars.feed("adapt.sf", "[12:00:01 INFO darkvid] epoch 4  iter 5/10  source_loss 2.3  source_top1 10\n")
    assert entry.bar.n == 15
    bars.feed("adapt.sf", "[12:00:01 INFO darkvid] epoch 9  iter 10/10  source_loss 2.3\n")  # never past the end
    assert entry.bar.n == 30
    bars.close("adapt.sf")
    assert "adapt.sf" not in bars._bars


def test_parallel_trainings_take_separate_rows_and_reuse_freed_ones():
    bars = TrainingBars(Terminal(), enabled=True)
    bars.feed("a", START)
    bars.feed("b", START)
    assert (bars._bars["a"].position, bars._bars["b"].position) == (0, 1)
    bars.close("a")
    bars.feed("c", START)
    assert bars._bars["c"].position == 0
    bars.close("b")
    bars.close("c")


def test_iteration_lines_before_an_announcement_draw_nothing():
    stream = Terminal()
    bars = TrainingBars(stream, enabled=True)
    bars.feed("x", "[12:00:01 INFO darkvid] epoch 1  iter 5/10  source_loss 2.3\n")
    assert bars._bars == {} and stream.getvalue() == ""


def test_disabled_bars_print_lines_as_they_are():
    stream = io.StringIO()
    bars = TrainingBars(stream, enabled=False)
    bars.feed("x", START)
    bars.write("step 1 of 2: x")
    assert bars._bars == {} and stream.getvalue() == "step 1 of 2: x\n"


def test_lines_written_while_a_bar_runs_are_kept_in_the_output():
    stream = Terminal()
    bars = TrainingBars(stream, enabled=True)
    bars.feed("x", START)
    bars.write("  [x] eval val_dry: top1 50.00")
    bars.close("x")
    assert re.search(r"\[x\] eval val_dry: top1 50\.00", stream.getvalue())


def test_the_trainers_own_lines_drive_a_bar_to_its_end(tmp_path, caplog):
    import logging

    from darkvid.engine.trainer import fit
    from tests.engine.standins import FakeData, make_cfg

    with caplog.at_level(logging.INFO):
        fit(make_cfg(tmp_path, "LOG_PERIOD", "1"), data=FakeData())
    bars = TrainingBars(Terminal(), enabled=True)
    ends = []
    for record in caplog.records:
        bars.feed("s", record.getMessage())
        if "s" in bars._bars:
            ends.append((bars._bars["s"].bar.n, bars._bars["s"].bar.total))
    assert ends[0] == (0, 8) and ends[-1] == (8, 8)  # 2 epochs of 4 iterations
