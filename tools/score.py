"""Score a submission CSV (darkvid's or the official arid_pred.csv), a prediction file (pkl/npz) or a
pseudo-label CSV against a labels CSV.

`python tools/score.py FILE LABELS_CSV [--json OUT] [--png OUT]`: top-1 (percent), per-class accuracy
and the confusion matrix (text, and a PNG) for submissions and prediction files; coverage and
precision (fractions, overall and per class) for pseudo-label CSVs.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.ensemble.io import save_figure, write_json  # noqa: E402
from darkvid.ensemble.predictions import PredictionError  # noqa: E402
from darkvid.ensemble.scoring import confusion_figure, confusion_text, score_file  # noqa: E402


def _print(result: dict) -> None:
    if result["kind"] == "pseudo":
        print(f"covered {result['covered']}/{result['labelled']} (coverage {result['coverage']:.4f}), "
              f"precision {result['precision']:.4f}")
        for cls, (cov, prec) in enumerate(zip(result["coverage_per_class"], result["precision_per_class"])):
            print(f"  class {cls:>2}: coverage {cov}, precision {prec}")
        return
    print(f"top1 {result['top1']:.2f}% on {result['videos']} videos")
    for cls, acc in enumerate(result["per_class_accuracy"]):
        print(f"  class {cls:>2}: {acc}")
    print(confusion_text(result["confusion_matrix"]))


def main(argv: Sequence[str] | None = None) -> int:
    """Score one file; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("labels_csv", type=Path)
    parser.add_argument("--json", type=Path, help="write the scores as JSON")
    parser.add_argument("--png", type=Path, help="confusion matrix PNG (default: beside --json, if given)")
    parser.add_argument("--num-classes", type=int, help="default: the number of DATA.CLASS_NAMES")
    args = parser.parse_args(argv)
    try:
        result = score_file(args.file, args.labels_csv, args.num_classes)
    except (PredictionError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _print(result)
    if args.json is not None:
        write_json(args.json, result)
    png = args.png or (args.json.with_name(args.json.stem + "_confusion.png") if args.json else None)
    if png is not None and "confusion_matrix" in result:
        fig, plt = confusion_figure(result["confusion_matrix"], result["class_names"])
        save_figure(png, fig)
        plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
