"""Lay out the UG2+ 2022 Track 2 download and ARID v1.5 for darkvid, checking every file (DATASET.md).

`python tools/prepare_data.py --download DIR [--arid DIR] [--seed-lists DIR] --output DIR`
links every video into the DATASET.md layout under --output (no copies; the download is only read)
and writes the seven split CSVs there. It first checks the row counts, the class names and their
order, and every listed, unlisted and duplicate video; when anything is wrong it writes nothing,
prints what and exits 1. Reruns change nothing; a CSV that differs is replaced only with --force.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.config import get_cfg  # noqa: E402
from darkvid.datasets.prepare import DEFAULT_SPEC, PrepareOptions, prepare  # noqa: E402
from darkvid.datasets.prepare_sources import PrepareError  # noqa: E402

# Output folder of each place a video is linked to, by DATA.VIDEO_DIR key.
PLACE_KEYS = {"train": "TRAIN_LABEL", "val": "VAL_DRY", "dark": "DARK_UNLABEL", "arid": "ARID",
              "pool": "TOTAL_UNLABEL", "test": "TEST"}


def _expected(items: List[str]) -> Dict[str, int]:
    counts = {}
    for item in items:
        name, _, number = item.partition("=")
        if not number.isdigit():
            raise argparse.ArgumentTypeError(f"--expect {item!r} is not CSV=ROWS (e.g. arid.csv=6207)")
        counts[name] = int(number)
    return counts


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Check and lay out the data; returns the exit status (0 ok, 1 problems, 2 unreadable input)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--download", type=Path, required=True, help="the organisers' archives, unpacked")
    parser.add_argument("--output", type=Path, required=True, help="the data root to build (DATA.PATH_PREFIX)")
    parser.add_argument("--arid", type=Path, help="ARID v1.5 (a folder holding clips_v1.5); default: --download")
    parser.add_argument("--seed-lists", type=Path,
                        help="the seed's data/ lists: dry-run labels, ARID order, comparison")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="file names and counts (configs/data/*.yaml)")
    parser.add_argument("--expect", action="append", default=[], metavar="CSV=ROWS", help="override a row count")
    parser.add_argument("--force", action="store_true", help="replace CSVs and links that differ")
    parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    args = parser.parse_args(argv)
    cfg = get_cfg()
    options = PrepareOptions(
        download=args.download, output=args.output, arid=args.arid, seed_lists=args.seed_lists, spec=args.spec,
        expected=_expected(args.expect), force=args.force, dry_run=args.dry_run,
    )
    video_dirs = {place: cfg.DATA.VIDEO_DIR[key] for place, key in PLACE_KEYS.items()}
    try:
        report = prepare(options, list(cfg.DATA.CLASS_NAMES), video_dirs)
    except (PrepareError, OSError) as err:
        print(f"prepare_data: {err}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
