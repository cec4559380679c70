"""Pseudo labels from an ensemble of prediction files: `--config FILE` (YAML or JSON).

Relative paths in the config: prediction files against `root` (default: the current directory),
CSVs and outputs against `data_root` (default: `root`/data). `--root`, `--data-root` and `--out`
given here are taken as they are (relative to the current directory).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.ensemble.combine import EnsembleConfigError  # noqa: E402
from darkvid.ensemble.predictions import PredictionError  # noqa: E402
from darkvid.ensemble.pseudo_config import load_pseudo_config  # noqa: E402
from darkvid.ensemble.pseudo_labels import run_pseudo_labels, write_pseudo_labels  # noqa: E402


def parse_args(argv: Optional[Sequence[str]], default_config: Optional[Path]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=default_config, required=default_config is None,
                        help="YAML/JSON config of the run")
    parser.add_argument("--root", help="experiment root holding the exp_* folders (overrides the config)")
    parser.add_argument("--data-root", help="folder of the split CSVs and pseudo/ (overrides the config)")
    parser.add_argument("--out", help="pseudo-label CSV to write; the summary goes beside it as .json")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None, default_config: Optional[Path] = None) -> int:
    """Run one pseudo-label generation; returns the exit status."""
    args = parse_args(argv, default_config)
    try:
        config = load_pseudo_config(args.config, root=args.root, data_root=args.data_root, out=args.out)
        result = run_pseudo_labels(config)
    except (EnsembleConfigError, PredictionError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_pseudo_labels(config, result)
    summary = result.summary
    print(f"thresholds: {json.dumps(summary['thresholds'])}")
    print(f"weights: {json.dumps(summary['weights'])}")
    print(f"selected {summary['selected']}/{summary['pool']} videos -> {config.out}")
    if "labelled" in summary:
        quality = summary["labelled"]
        print(f"labelled videos covered {quality['covered']}/{quality['labelled']}, precision {quality['precision']}")
    print(f"summary -> {config.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
