"""Two runs on the same labelled videos: each top-1 with its 95% interval, and whether they differ.

`python tools/compare.py BASELINE CHANGED LABELS_CSV [--json OUT] [--num-classes K]`

BASELINE and CHANGED are prediction files (pkl/npz) or submission CSVs, in any mix. Both are joined
to LABELS_CSV by video id, so their row orders do not matter, but each must cover exactly its
labelled videos. The difference is tested pairwise on the same videos (exact McNemar): only videos
one run gets right and the other wrong count. This is how a change to one part of the method is
measured: run it twice, compare the two files.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.ensemble.io import write_json  # noqa: E402
from darkvid.ensemble.metrics import wilson_interval  # noqa: E402
from darkvid.ensemble.predictions import PredictionError  # noqa: E402
from darkvid.ensemble.stats import paired_compare  # noqa: E402
from darkvid.pipeline.significance import ALPHA, correct_by_video  # noqa: E402


def compare_files(baseline: Path, changed: Path, labels_csv: Path, num_classes: int | None = None,
                  alpha: float = ALPHA) -> dict[str, Any]:
    """Top-1 (percent) and 95% interval of each file, and the paired test of `changed` against `baseline`.

    Raises:
        PredictionError: a missing file, or one that does not cover exactly the labelled videos.
    """
    runs = {}
    for role, path in (("baseline", baseline), ("changed", changed)):
        if not path.is_file():
            raise PredictionError(f"{role} file not found: {path}")
        correct = correct_by_video(path, labels_csv, num_classes)
        if correct is None:
            raise PredictionError(f"labels CSV not found: {labels_csv}")
        if correct.size == 0:
            raise PredictionError(f"{labels_csv}: no known labels to compare on")
        runs[role] = correct
    result = paired_compare(runs["changed"], runs["baseline"])
    out: dict[str, Any] = {"labels": str(labels_csv), "videos": result.videos}
    for role, path in (("baseline", baseline), ("changed", changed)):
        right = int(runs[role].sum())
        low, high = wilson_interval(right, result.videos)
        out[role] = {"file": str(path), "top1": 100.0 * right / result.videos, "interval": [low, high]}
    out.update(difference=out["changed"]["top1"] - out["baseline"]["top1"], gained=result.only_first,
               lost=result.only_second, p_value=result.p_value, alpha=alpha, significant=result.significant(alpha))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Compare two files; returns the exit status (2 on bad input)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("baseline", type=Path, help="the run before the change")
    parser.add_argument("changed", type=Path, help="the run with the change")
    parser.add_argument("labels_csv", type=Path)
    parser.add_argument("--json", type=Path, help="write the comparison as JSON")
    parser.add_argument("--num-classes", type=int, help="default: the number of DATA.CLASS_NAMES")
    args = parser.parse_args(argv)
    try:
        result = compare_files(args.baseline, args.changed, args.labels_csv, args.num_classes)
    except (PredictionError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for role in ("baseline", "changed"):
        run = result[role]
        print(f"{role:<8} top1 {run['top1']:.2f}% ({run['interval'][0]:.1f}-{run['interval'][1]:.1f}) "
              f"{run['file']}")
    verdict = "significant" if result["significant"] else "not significant"
    print(f"difference {result['difference']:+.2f} points on {result['videos']} videos: +{result['gained']} / "
          f"-{result['lost']}, McNemar p = {result['p_value']:.4g}, {verdict} at {result['alpha']}")
    if args.json is not None:
        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
