"""The whole plan in order, its checks, and which steps `--from` / `--only` run and invalidate."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from . import ablation
from .data_root import DATA
from .layout import EXPERT, MODELS
from .presets import Preset
from .step import Command, Step
from .steps import Plan

REPORT = "report"  # the step that reads whatever earlier outputs exist


def report_step(plan: Plan, before: list[Step]) -> Step:
    """The report reads every earlier output, so it reruns whenever any of them changed."""
    inputs = tuple(dict.fromkeys(o for step in before for o in step.outputs if not o.endswith(".pyth")))
    cmd = Command((sys.executable, "-m", "darkvid.pipeline.report", "--work-dir", ".",
                   "--preset", str(plan.preset.source)), plan.env)
    names = ("report.md", "summary.json", "accuracy.png", "pseudo.png", "frames.png")
    outputs = tuple(f"report/{name}" for name in names)
    return Step(REPORT, (cmd,), outputs, inputs, deps=tuple(s.name for s in before), clean=outputs)


def build_plan(preset: Preset, work: Path, generator_args: tuple[str, ...] = ()) -> list[Step]:
    """Every step of the method for `preset` in `work`, in a topological order.

    `generator_args` are extra flags of tools/make_synthetic_arid.py (another seed or darkness).
    """
    plan = Plan(preset, work, generator_args)
    steps = [plan.data_step(), *(plan.model_step(0, m) for m in MODELS), *ablation.training_steps(plan)]
    for stage in range(1, preset.stages + 1):
        steps.append(plan.pseudo_step(stage))
        steps += [plan.model_step(stage, m) for m in MODELS]
    steps += [plan.model_step(None, EXPERT), plan.ensemble_step()]
    if preset.generator is not None or (Path(work) / DATA / "test_labels.csv").exists():
        steps.append(plan.score_step())
    steps.append(report_step(plan, steps))
    check_graph(steps)
    return steps


def check_graph(steps: list[Step]) -> None:
    """Raise ValueError on a repeated name or a dependency that is not an earlier step."""
    seen: set[str] = set()
    for step in steps:
        if step.name in seen:
            raise ValueError(f"step {step.name!r} appears twice")
        late = [d for d in step.deps if d not in seen]
        if late:
            raise ValueError(f"step {step.name!r} depends on {late}, which do not come before it")
        seen.add(step.name)


def matching(steps: list[Step], pattern: str) -> list[int]:
    """Indices of the steps named `pattern` or in its group (`stage1` matches `stage1.mvit_b32_k600`)."""
    found = [i for i, s in enumerate(steps) if s.name == pattern or s.name.startswith(pattern + ".")]
    if not found:
        names = ", ".join(s.name for s in steps)
        raise ValueError(f"no step or group named {pattern!r}; steps: {names}")
    return found


def select(steps: list[Step], start: Optional[str] = None, only: Optional[str] = None) -> tuple[list[Step], set[str]]:
    """(steps to run, names to invalidate first) for the command-line flags.

    No flag: every step, each skipped when complete. `start`: every step, and the first step of
    `start` and everything after it in the order rerun. `only`: just those steps, rerun; their
    dependencies must have completed.
    """
    if start is not None and only is not None:
        raise ValueError("--from and --only cannot be combined")
    if only is not None:
        chosen = [steps[i] for i in matching(steps, only)]
        return chosen, {s.name for s in chosen}
    if start is not None:
        first = matching(steps, start)[0]
        return list(steps), {s.name for s in steps[first:]}
    return list(steps), set()
