"""Which steps a run from imported artefacts runs, and what it lacks, named before any training starts.

With --artefacts the run starts at --from STEP (default: the step after the last imported one) and
runs that step, everything after it, and the earlier steps these depend on, stopping at steps that
are complete or imported. --from reruns its steps; without it a step that completed with the same
fingerprint is skipped, so repeating the command resumes the run. An earlier step that would have to
run is a missing artefact, not a reason to train from scratch; so is a file a running step reads
that an imported step was given without (the predictions of an imported checkpoint, say). Only the
data step may still run (it generates or checks the dataset), and the report, which reads whatever
exists, does not pull in earlier steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .data_root import DATA
from .graph import REPORT, matching
from .step import Step, is_complete


@dataclass
class Start:
    """The steps a run takes (in plan order), those to rerun, and those it leaves out."""

    chosen: list[Step]
    force: set[str]
    left_out: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _first(steps: list[Step], start: Optional[str], imported: set[str]) -> int:
    if start is not None:
        return matching(steps, start)[0]
    return max((i + 1 for i, s in enumerate(steps) if s.name in imported), default=0)


def plan_start(steps: list[Step], work: Path, start: Optional[str], imported: set[str]) -> Start:
    """The run from `start` (a step or group; None: after the last imported step) with `imported` steps given."""
    first = _first(steps, start, imported)
    by_name = {s.name: s for s in steps}
    position = {s.name: i for i, s in enumerate(steps)}
    keep: set[str] = set()
    todo = [s.name for s in steps[first:]]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        earlier_done = position[name] < first and is_complete(by_name[name], work)
        if name != REPORT and not earlier_done:
            todo += by_name[name].deps
    chosen = [s for s in steps if s.name in keep]
    # Only --from reruns what has completed; without it the same command continues an interrupted run.
    force = ({s.name for s in steps[first:]} - imported) if start is not None else set()
    result = Start(chosen, force, {s.name for s in steps} - keep)
    label = f"--from {start}" if start else f"the run after the imported {steps[first - 1].name}"
    for step in chosen:
        if position[step.name] < first and step.name != DATA and not is_complete(step, work):
            result.problems.append(f"{label} needs step {step.name}, which has not run here and is not in the "
                                   f"artefacts (its {step.outputs[0]})")
    result.problems += _lacking_inputs(result, work, imported)
    return result


def _lacking_inputs(run: Start, work: Path, imported: set[str]) -> list[str]:
    """Inputs of the steps that will run which an imported step was given without, one problem per step."""
    makers = {out: s.name for s in run.chosen for out in s.outputs}
    problems = []
    for step in run.chosen:
        if step.name == REPORT or (is_complete(step, work) and step.name not in run.force):
            continue
        lacking = [rel for rel in step.inputs if makers.get(rel) in imported and not (work / rel).exists()]
        if lacking:
            given = ", ".join(sorted({makers[rel] for rel in lacking}))
            problems.append(f"step {step.name} needs {', '.join(lacking)}: outputs of the imported step(s) {given} "
                            f"that the artefacts lack; add them, or import {step.outputs[0]} instead")
    return problems


def from_artefacts(steps: list[Step], work: Path, folders: list[Path], start: Optional[str],
                   darkvid_preset: Optional[str]) -> tuple[Start, set[str]]:
    """Import the steps `folders` hold into `work`, plan the run from `start`, and check both.

    Returns:
        The run (its problems: the imported files' own, then what the start lacks) and the imported steps.

    Raises:
        ArtefactError: a folder is missing, a file is given twice, or the work directory made it already.
    """
    imported, problems = import_artefacts(steps, work, folders, darkvid_preset)
    run = plan_start(steps, work, start, imported)
    run.problems = problems + run.problems
    return run, imported


def import_artefacts(steps: list[Step], work: Path, folders: list[Path], darkvid_preset: Optional[str]
                     ) -> tuple[set[str], list[str]]:
    """Link the steps `folders` hold into `work`; returns the imported steps and the imported files' problems.

    Raises:
        ArtefactError: as `from_artefacts`.
    """
    from .artefact_checks import import_problems
    from .artefacts import find_imports, place

    imports = find_imports(steps, folders)
    place(imports, work)
    return set(imports), import_problems(imports, steps, work, darkvid_preset)
