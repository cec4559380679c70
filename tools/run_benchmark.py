"""Run the method on every set of one or more benchmark files and write one table.

    python tools/run_benchmark.py configs/benchmark/eval.yaml [configs/benchmark/tune.yaml ...]
                                  [--work-root DIR] [--only NAME ...] [--dry-run] [--table-only]

Each set is one `tools/run_pipeline.py` into WORK_ROOT/<name>/ (a subprocess; rerunning the same command
resumes each set where it stopped, finished sets cost nothing). The table (WORK_ROOT/benchmark.md,
.csv, .json) is rebuilt from every set's report/summary.json; --table-only rebuilds it without running.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.ensemble.io import write_json
from darkvid.pipeline.benchmark import (
    BenchmarkError,
    BenchSet,
    check_unique,
    load_benchmark,
    pipeline_command,
)
from darkvid.pipeline.benchmark_table import WALL_FILE, read_rows, write_table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmarks", nargs="+", help="benchmark YAML files (or names under configs/benchmark/)")
    parser.add_argument("--work-root", type=Path, default=Path("work_dirs/benchmark"),
                        help="each set runs in WORK_ROOT/<name>/; the table is WORK_ROOT/benchmark.*")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these sets (the table lists all)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print each set's command, run nothing")
    mode.add_argument("--table-only", action="store_true", help="rebuild the table from the existing work dirs")
    return parser.parse_args(argv)


def run_set(bench: BenchSet, work_root: Path) -> int:
    """Run one set's pipeline, record its wall time in its work dir; returns the exit status."""
    cmd = pipeline_command(bench, work_root)
    print(f"[benchmark] {bench.name}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    status = subprocess.run(cmd, check=False).returncode
    seconds = round(time.monotonic() - start, 1)
    if status == 0:
        write_json(work_root / bench.name / WALL_FILE, {"seconds": seconds, "command": cmd})
    print(f"[benchmark] {bench.name}: exit {status} after {seconds:.0f} s", flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or print) the sets, then write the table; 1 when a set failed, 2 on a bad benchmark file."""
    args = parse_args(argv)
    try:
        sets = check_unique([s for path in args.benchmarks for s in load_benchmark(path)], "the benchmark files")
    except BenchmarkError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    unknown = sorted(set(args.only or ()) - {s.name for s in sets})
    if unknown:
        print(f"error: --only names unknown set(s) {unknown}; known: {[s.name for s in sets]}", file=sys.stderr)
        return 2
    work_root = args.work_root.resolve()
    chosen = [s for s in sets if not args.only or s.name in args.only]
    if args.dry_run:
        for bench in chosen:
            print(" ".join(pipeline_command(bench, work_root)))
        return 0
    failed = [] if args.table_only else [s.name for s in chosen if run_set(s, work_root) != 0]
    paths = write_table(read_rows(sets, work_root), work_root / "benchmark")
    print(f"table -> {paths['md']} (.csv, .json)")
    if failed:
        print(f"failed set(s): {', '.join(failed)} (logs in WORK_ROOT/<name>/logs/)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
