"""The whole method in one command: data, adapt-BN, pseudo-label stages, expert, vote, report.

    python tools/run_pipeline.py [--work-dir DIR] [--data-root DIR] [--preset demo|micro|full]
                                 [--from STEP | --only STEP] [--artefacts DIR] [--list] [--check] [--verbose]
                                 [--jobs N] [--executor local|slurm] [--override KEY VALUE ...]

The work directory is laid out like the repository (WORK/data, WORK/exp_*/..., WORK/pseudo), and every step runs
there what a user would run by hand (exp_*/*/run.sh, test.sh, gen_pseudo_tools, test_ensemble_vote.py,
tools/score.py). Finished steps are skipped; an interrupted run continues where it stopped. A --data-root
is only read: pseudo labels, caches, configs and predictions are written under the work directory.
--artefacts DIR (laid out like the repository: exp_*/<model>/best.pyth, pseudo/stageN.csv or
data/pseudo/stageN.csv) links published files into the work directory in place of the steps that make
them, and the run starts after them (or at --from STEP); what that start lacks is named before it runs.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.pipeline.artefacts import ArtefactError  # noqa: E402
from darkvid.pipeline.check import StepCheck, check_plan, print_checks  # noqa: E402
from darkvid.pipeline.data_root import DataRootError, link_data_root  # noqa: E402
from darkvid.pipeline.graph import build_plan, select  # noqa: E402
from darkvid.pipeline.presets import REPO, Preset, PresetError, available_presets, load_preset  # noqa: E402
from darkvid.pipeline.runner import Runner, StepFailed  # noqa: E402
from darkvid.pipeline.slurm import EXECUTORS, ClusterError, runner_hooks  # noqa: E402
from darkvid.pipeline.start import Start, from_artefacts, import_artefacts  # noqa: E402
from darkvid.pipeline.step import Step, is_complete, state  # noqa: E402


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=Path("work_dirs/demo"), help="where everything is written")
    parser.add_argument("--data-root", type=Path,
                        help="a dataset root, read only (linked entry by entry into WORK/data); default: generate one")
    parser.add_argument("--preset", default="demo", help=f"one of {', '.join(available_presets())}, or a YAML path")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--from", dest="start", metavar="STEP",
                       help="rerun STEP (or group, e.g. stage2) and all after it")
    group.add_argument("--only", metavar="STEP", help="rerun only STEP (or group); its inputs must exist")
    parser.add_argument("--artefacts", type=Path, action="append", default=[], metavar="DIR",
                        help="published files laid out like the repository (exp_*/<model>/best.pyth, "
                             "pseudo/stageN.csv): linked in, read only, as the steps that make them; repeatable")
    parser.add_argument("--data-seed", type=int, help="seed of the synthetic dataset (default: the generator's, 0)")
    parser.add_argument("--exposure", type=float, nargs=2, metavar=("LO", "HI"),
                        help="dark exposure range of the synthetic dataset (default: the generator preset's)")
    parser.add_argument("--noise", type=float,
                        help="read-noise std of the synthetic dark camera, 8-bit units of linear light "
                             "(default: the preset's)")
    parser.add_argument("--override", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                        help="a config KEY VALUE added to every run's overrides after the preset's (e.g. "
                             "DATA.TEMPORAL_DENOISE 3); repeatable; a changed value reruns the steps it reaches")
    parser.add_argument("--jobs", type=int, help="independent steps run at once (default: the preset's)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local: subprocesses, each training on its own GPUs; slurm: one submitit job per step")
    parser.add_argument("--list", action="store_true", help="print the steps and whether each is complete, then exit")
    parser.add_argument("--check", action="store_true",
                        help="run every step's preflight alone (files, videos, weights, output folders), then exit")
    parser.add_argument("--verbose", action="store_true", help="echo every log line, not one per epoch")
    return parser.parse_args(argv)


def link_tiny_weights(work: Path) -> None:
    """Make WORK/pretrained/tiny the repository's tiny pre-trained weights (configs/tiny/*.yaml name them).

    Run from a work directory, the configs' relative paths resolve there, as data/ does; the full
    models' published weights are the user's to place in WORK/pretrained/ (MODEL_ZOO.md).
    """
    source = REPO / "pretrained" / "tiny"
    link = work / "pretrained" / "tiny"
    if not source.is_dir() or link.resolve() == source.resolve():
        return
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        return  # the user's own tiny weights
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(source, target_is_directory=True)


def _plan_run(steps: list[Step], work: Path, args: argparse.Namespace, darkvid_preset: Optional[str]
              ) -> tuple[Start, set[str]]:
    """The steps to run and to rerun; with --artefacts (not --only) also the imports and what the start lacks."""
    folders = [a.resolve() for a in args.artefacts]
    if folders and args.only is None:
        return from_artefacts(steps, work, folders, args.start, darkvid_preset)
    imported, problems = import_artefacts(steps, work, folders, darkvid_preset) if folders else (set(), [])
    chosen, force = select(steps, args.start, args.only)
    return Start(chosen, force, problems=problems), imported


def _check(steps: list[Step], run: Start, imported: set[str], work: Path, preset: Preset) -> int:
    """--check: every step's preflight; with artefacts, the imported files and the start's steps instead."""
    checked = run.chosen if imported else steps
    print(f"preflight of {len(checked)} step(s): preset {preset.name}, work dir {work}")
    checks = [StepCheck("artefacts", run.problems, checked=True)] if imported else []
    checks += [StepCheck(step.name, imported=True) for step in checked if step.name in imported]
    rest = [step for step in checked if step.name not in imported]
    checks += check_plan(rest, work, preset.darkvid_preset)
    return 1 if print_checks(checks, sys.stdout) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the pipeline; returns the exit status (1 when a step fails)."""
    args = parse_args(argv)
    try:
        preset = load_preset(args.preset).with_overrides(args.override)
    except PresetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        link_data_root(work, args.data_root)
    except DataRootError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    link_tiny_weights(work)
    generator_args: tuple[str, ...] = ()
    if args.data_seed is not None:
        generator_args += ("--seed", str(args.data_seed))
    if args.exposure is not None:
        generator_args += ("--exposure", *map(str, args.exposure))
    if args.noise is not None:
        generator_args += ("--noise", str(args.noise))
    steps = build_plan(preset, work, generator_args)
    try:
        run, imported = _plan_run(steps, work, args, preset.darkvid_preset)
    except (ValueError, ArtefactError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.check:
        return _check(steps, run, imported, work, preset)
    if args.list:
        for i, step in enumerate(steps, 1):
            shown = "not run from this start" if step.name in run.left_out else state(step, work)
            print(f"{i:>3} {step.name:<32} {shown}")
        return 0
    if run.problems:
        print("error: cannot start from the artefacts:\n  " + "\n  ".join(run.problems), file=sys.stderr)
        return 2
    chosen, force = run.chosen, run.force
    by_name = {s.name: s for s in steps}
    try:
        hooks = runner_hooks(preset.cluster, work, args.executor, str(preset.source))
    except ClusterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    runner = Runner(work, jobs=args.jobs or preset.jobs, verbose=args.verbose, **hooks)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the running commands too (no markers)
    print(f"darkvid pipeline: preset {preset.name}, work dir {work}, {len(chosen)} step(s)", flush=True)
    try:
        seconds = runner.run(chosen, force,
                             outside_ok=lambda name: name in run.left_out or is_complete(by_name[name], work))
    except StepFailed as err:
        print(err.report(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the same command continues where this run stopped", file=sys.stderr)
        return 130
    print(f"finished: {len(seconds)} step(s) ran ({sum(seconds.values()):.0f} s of step time); "
          f"submission {work / 'submission.csv'}, report {work / 'report' / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
