"""Precision/coverage per class over the threshold range, for a pseudo-label config.

The labelled pool is the config's validation predictions when `thresholds: auto`, else the rows of
the pseudo-label pool whose label `labels_csv` knows (the ARID rows of total_unlabel). Writes
`<out-stem>.csv/.md/.png`, the config's chosen thresholds marked on the plot.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from darkvid.ensemble.combine import EnsembleConfigError, combine  # noqa: E402
from darkvid.ensemble.explorer import write_exploration  # noqa: E402
from darkvid.ensemble.predictions import PredictionError, load_joined, load_split  # noqa: E402
from darkvid.ensemble.pseudo_config import PseudoConfig, load_pseudo_config  # noqa: E402
from darkvid.ensemble.pseudo_labels import model_probs  # noqa: E402
from darkvid.ensemble.thresholds import (  # noqa: E402
    auto_thresholds,
    fixed_thresholds,
    relaxed_target,
)
from darkvid.predictions import class_names  # noqa: E402


def labelled_probs(config: PseudoConfig) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Mixed probabilities and true labels of the labelled pool the thresholds are judged on, and the class names."""
    if config.auto is not None:
        rows, files = load_joined(config.auto.val_predictions, config.auto.val_csv, config.num_classes)
        keep = np.arange(len(rows.paths))
        labels = rows.labels
    else:
        if config.labels_csv is None:
            raise EnsembleConfigError(f"{config.source}: needs 'labels_csv' (or thresholds: auto) to explore")
        rows, files = load_joined(config.predictions, config.split_csv, config.num_classes)
        truth_rows = load_split(config.labels_csv, config.num_classes)
        truth = dict(zip(truth_rows.paths, truth_rows.labels.tolist()))
        keep = np.array([i for i, p in enumerate(rows.paths) if truth.get(p, -1) >= 0], dtype=np.int64)
        labels = np.array([truth[rows.paths[i]] for i in keep], dtype=np.int64)
    names = class_names(list(files.values()), config.num_classes)
    return combine(model_probs(config, files), config.weights)[keep], labels, names


def main(argv: Sequence[str] | None = None) -> int:
    """Explore one config's thresholds; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--root")
    parser.add_argument("--data-root")
    parser.add_argument("--out-stem", type=Path, help="output path without suffix (default: beside the pseudo CSV)")
    parser.add_argument("--steps", type=int, default=101, help="thresholds from 0 to 1 inclusive")
    args = parser.parse_args(argv)
    try:
        config = load_pseudo_config(args.config, root=args.root, data_root=args.data_root)
        probs, labels, names = labelled_probs(config)
    except (EnsembleConfigError, PredictionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if config.auto is None:
        chosen = fixed_thresholds(config.thresholds, config.num_classes, str(config.source))
    else:
        target = relaxed_target(config.auto.target_precision, config.auto.relax_per_stage, config.auto.stage)
        chosen = auto_thresholds(probs, labels, target)
    stem = args.out_stem or config.out.with_name(config.out.stem + "_thresholds")
    for path in write_exploration(stem, probs, labels, chosen, names, args.steps):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
