"""`run_pipeline.py --check`: every step's preflight on its own, before any of them runs.

A step that runs an experiment (exp_*/*/run.sh or test.sh) is checked with the config that command
loads, in the work directory, through darkvid.engine.preflight: split files, every video, a sample
decoded, the starting weights, the output folder. A problem naming a file that an earlier step (or
the step itself) will make is not a failure: the step waits for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from darkvid.utils.files import working_directory

from .data_root import DATA
from .layout import experiment_config
from .presets import REPO
from .step import Command, Step, is_complete, missing_outputs

_MODES = {"run.sh": "train", "test.sh": "test"}


@dataclass
class StepCheck:
    """What the preflight found for one step: problems, and the steps whose outputs it waits for."""

    name: str
    problems: list[str] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    checked: bool = False
    imported: bool = False  # given by --artefacts (their problems are the imported files')


def experiment_of(command: Command) -> tuple[str, str, list[str]] | None:
    """(experiment folder, train or test, overrides) of a command that runs an exp_* script, else None."""
    if len(command.argv) < 2 or command.argv[0] != "bash":
        return None
    script = Path(command.argv[1])
    if script.name not in _MODES or not script.is_relative_to(REPO):
        return None
    return str(script.parent.relative_to(REPO)), _MODES[script.name], list(command.argv[2:])


def _producers(steps: list[Step], work: Path) -> dict[str, str]:
    """Output path -> the step that makes it, for the steps that will run (not a data step that only checks)."""
    return {out: s.name for s in steps if s.commands and not is_complete(s, work) for out in s.outputs}


def check_step(step: Step, work: Path, producers: dict[str, str], darkvid_preset: str | None) -> StepCheck:
    """Run the preflight of `step`'s experiment commands (the data step: its split files)."""
    result = StepCheck(step.name)
    if step.name == "data" and not step.commands:
        result.checked = True
        result.problems = [f"missing: {work / out} ({step.note})" for out in missing_outputs(step, work)]
        return result
    for command in step.commands:
        found = experiment_of(command)
        if found is None:
            continue
        exp, mode, overrides = found
        result.checked = True
        launched = ("TRAIN.ENABLE", "False", *overrides) if mode == "test" else tuple(overrides)  # as launch_exp.sh
        with working_directory(work):
            problems = _preflight(experiment_config(exp, darkvid_preset, launched), mode)
        for problem in problems:
            makers = {name for out, name in producers.items() if out in problem}
            if makers:
                result.waits += sorted(makers - set(result.waits) - {step.name})
            elif problem not in result.problems:
                result.problems.append(problem)
    return result


def _preflight(cfg: Any, mode: str) -> list[str]:
    """The run's own preflight; run.sh also predicts after training, so its test splits are checked too."""
    from darkvid.engine.preflight import (
        data_problems,
        preflight_experiment,
        split_csv,
        testing_splits,
    )

    problems = preflight_experiment(cfg, mode)
    if mode == "train":
        splits = testing_splits(cfg)
        csvs = [split_csv(cfg, split) for split in splits]
        problems += [f"{key}: file not found: {path}" for key, path in csvs if not path.is_file()]
        problems += [p for p in data_problems(cfg, splits) if p not in problems]
    return problems


def check_plan(steps: list[Step], work: Path, darkvid_preset: str | None) -> list[StepCheck]:
    """Every step's preflight, each on its own."""
    producers = _producers(steps, work)
    return [check_step(step, work, producers, darkvid_preset) for step in steps]


def print_checks(checks: list[StepCheck], stream: TextIO) -> int:
    """A line per step (problems indented under it); returns the number of problems."""
    for check in checks:
        if check.problems:
            state = "PROBLEM"
        elif check.waits:
            state = "waits"
        elif check.imported:
            state = "imported"
        else:
            state = "ok" if check.checked else "-"
        waits = f" (inputs made by {', '.join(check.waits)})" if check.waits and not check.problems else ""
        print(f"  {state:<8} {check.name}{waits}", file=stream)
        for problem in check.problems:
            print("           " + problem.replace("\n", "\n           "), file=stream)
    count = sum(len(c.problems) for c in checks)
    failed = sum(1 for c in checks if c.problems)
    print(f"{count} problem(s) in {failed} step(s)" if count else f"no problems ({DATA}/ and every step's inputs)",
          file=stream)
    return count
