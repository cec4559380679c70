"""Make a pseudo-label CSV (`path,label,p0..pK`, no header) and its JSON summary from prediction files.

Every input is read and checked before anything is written, so a bad file leaves no partial output.
Prediction files are joined to the pool CSV by video id; a video that any model could not decode
(`valid` False) is never pseudo-labelled, and the summary counts them.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkvid.datasets.records import write_split_csv
from darkvid.predictions import class_names

from .combine import WeightSpec, combine, softmax
from .io import write_json
from .metrics import known_labels, pseudo_label_quality
from .predictions import all_valid, load_joined, load_split
from .pseudo_config import PseudoConfig
from .thresholds import (
    auto_thresholds,
    fixed_thresholds,
    relaxed_target,
    search_weights,
    select,
    thresholds_to_list,
)

logger = logging.getLogger(__name__)


@dataclass
class PseudoResult:
    """The chosen settings and the selected rows, ready to be written."""

    weights: WeightSpec
    thresholds: np.ndarray
    paths: list[str]
    labels: np.ndarray
    probs: np.ndarray
    summary: dict[str, Any]


def model_probs(config: PseudoConfig, files: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Softmax of each model's logits with its temperature."""
    return {name: softmax(files[name].logits, config.temperatures[name]) for name in files}


def _choose(config: PseudoConfig,
            val: tuple[dict[str, np.ndarray], np.ndarray] | None) -> tuple[WeightSpec, np.ndarray, dict]:
    if config.auto is None:
        thresholds = fixed_thresholds(config.thresholds, config.num_classes, f"{config.source}: thresholds")
        return config.weights, thresholds, {}
    probs, labels = val
    auto = config.auto
    spec, info = config.weights, {}
    if auto.search_weights:
        spec, acc = search_weights(probs, labels, spec, auto.search_step)
        info["val_top1_after_weight_search"] = acc
    target = relaxed_target(auto.target_precision, auto.relax_per_stage, auto.stage)
    info["target_precision"] = target
    return spec, auto_thresholds(combine(probs, spec), labels, target), info


def keep_with_floor(probs: np.ndarray, mask: np.ndarray, min_selected: int,
                    valid: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Row indices to keep: the mask's, or the `min_selected` most confident rows if it keeps fewer.

    A target precision too strict for a weak ensemble can select nothing, which would leave the
    next stage with no pseudo labels; the floor keeps it going with the videos it trusts most.
    Rows not `valid` are never kept.

    Returns:
        Indices in pool order, and whether the floor replaced the mask's selection.
    """
    valid = np.ones(len(probs), dtype=bool) if valid is None else valid
    keep = np.flatnonzero(mask & valid)
    floor = min(min_selected, int(valid.sum()))
    if keep.size >= floor:
        return keep, False
    order = np.argsort(-np.where(valid, probs.max(axis=1), -np.inf), kind="stable")
    return np.sort(order[:floor]), True


def summarize(paths: list[str], labels: np.ndarray, pool: int, truth: Mapping[str, int] | None,
              num_classes: int) -> dict[str, Any]:
    """Counts per class and pool coverage, plus coverage/precision where true labels are known."""
    summary = {
        "pool": pool,
        "selected": len(paths),
        "pool_coverage": len(paths) / pool if pool else None,
        "count_per_class": np.bincount(labels, minlength=num_classes).tolist(),
    }
    if truth is not None:
        summary["labelled"] = pseudo_label_quality(dict(zip(paths, labels.tolist())), truth, num_classes)
    return summary


def _inputs(config: PseudoConfig) -> tuple[Any, dict, dict | None, tuple | None]:
    """The pool and its files, the known labels, and the labelled validation (auto thresholds)."""
    rows, files = load_joined(config.predictions, config.split_csv, config.num_classes)
    truth = None
    if config.labels_csv is not None:
        label_rows = load_split(config.labels_csv, config.num_classes)
        truth = known_labels(list(label_rows.paths), label_rows.labels)
    val = None
    if config.auto is not None:
        val_rows, val_files = load_joined(config.auto.val_predictions, config.auto.val_csv, config.num_classes)
        val = (model_probs(config, val_files), val_rows.labels)
    return rows, files, truth, val


def run_pseudo_labels(config: PseudoConfig) -> PseudoResult:
    """Read and check every input, choose weights and thresholds, select the pseudo-labelled videos."""
    rows, files, truth, val = _inputs(config)
    spec, thresholds, info = _choose(config, val)
    probs = combine(model_probs(config, files), spec)
    valid = all_valid(files)
    mask = select(probs, thresholds) & valid
    floor = config.auto.min_selected if config.auto is not None else 0
    keep, floor_applied = keep_with_floor(probs, mask, floor, valid)
    if floor_applied:
        logger.warning("%s: the thresholds keep %d of %d videos, fewer than auto.min_selected %d; "
                       "keeping the %d most confident instead", config.source, int(mask.sum()), len(probs),
                       floor, keep.size)
    paths = [rows.paths[i] for i in keep]
    labels = probs[keep].argmax(axis=1)
    summary = summarize(paths, labels, len(rows.paths), truth, config.num_classes)
    if config.auto is not None:
        info.update(min_selected=floor, selected_by_thresholds=int(mask.sum()), floor_applied=floor_applied)
    summary.update(info, thresholds=thresholds_to_list(thresholds), weights=spec.to_dict(),
                   invalid=int((~valid).sum()), class_names=list(class_names(list(files.values()), config.num_classes)))
    return PseudoResult(spec, thresholds, paths, labels, probs[keep], summary)


def write_pseudo_labels(config: PseudoConfig, result: PseudoResult) -> None:
    """Write the pseudo CSV (probabilities as Python float text) and the JSON summary."""
    write_split_csv(config.out, result.paths, result.labels, num_classes=config.num_classes, probs=result.probs)
    write_json(config.summary, {"config": str(config.source), "out": str(config.out), **result.summary})


def read_pseudo_csv(path: Any, num_classes: int) -> tuple[list[str], np.ndarray]:
    """Paths and labels of a pseudo-label CSV, checking each row has `num_classes` probabilities."""
    rows = load_split(path, num_classes, with_probs=True)
    return list(rows.paths), rows.labels
