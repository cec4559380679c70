"""The final vote's config and run: modes over named prediction files, a vote, the submission files.

Relative paths: `root` (default `.`) against the current directory; prediction files, `out_dir` and
`out` against `root`; `test_csv` and the search's `labels_csv` against `data_root` (default root/data);
`official_csv`, `official_zip` and `summary` against the folder of `out`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from darkvid.predictions import class_names

from .combine import EnsembleConfigError, parse_weight_spec, softmax
from .config_file import check_keys, read_mapping, resolve, temperatures
from .io import write_csv, write_json
from .predictions import all_valid, load_joined
from .thresholds import search_weights
from .vote import (
    SUBMISSION_HEADER,
    Mode,
    chosen_probability,
    majority_vote,
    parse_rules,
    run_mode,
    submission_rows,
    vote_probability,
)
from .vote_official import check_official, official_rows, write_official

_TOP_KEYS = ("num_classes", "root", "data_root", "test_csv", "predictions", "temperature", "rule_sets",
             "modes", "vote", "out_dir", "out", "official_csv", "official_zip", "summary", "search")
_SEARCH_KEYS = ("predictions", "labels_csv", "step")


@dataclass(frozen=True)
class VoteConfig:
    """A parsed vote config; `raw` keeps the file's data so a search can save an edited copy."""

    source: Path
    raw: dict[str, Any]
    num_classes: int
    test_csv: Path
    predictions: dict[str, Path]
    temperatures: dict[str, float]
    modes: tuple[Mode, ...]
    vote: tuple[str, ...]
    out_dir: Path
    out: Path
    official_csv: Path
    official_zip: Path
    summary: Path
    search_predictions: dict[str, Path]
    search_labels: Path | None
    search_step: float


def _modes(data: dict, names: list[str], where: str) -> tuple[Mode, ...]:
    rule_sets = {name: parse_rules(rules, f"{where}: rule_sets.{name}")
                 for name, rules in (data.get("rule_sets") or {}).items()}
    modes = []
    for i, item in enumerate(data["modes"]):
        check_keys(item, ("name", "weights", "rules"), f"{where}: modes[{i}]", required=("name", "weights"))
        rules = item.get("rules")
        if rules is not None and rules not in rule_sets:
            raise EnsembleConfigError(f"{where}: modes[{i}].rules names unknown rule set {rules!r}")
        modes.append(Mode(str(item["name"]), parse_weight_spec(item["weights"], names, f"{where}: modes[{i}].weights"),
                          rule_sets[rules] if rules else ()))
    return tuple(modes)


def load_vote_config(path: str | Path, *, root: str | None = None, data_root: str | None = None) -> VoteConfig:
    """Read a vote config; `root`/`data_root` given here override the file's values."""
    path = Path(path)
    data = read_mapping(path)
    check_keys(data, _TOP_KEYS, str(path), required=("test_csv", "predictions", "modes"))
    root_dir = Path(root if root is not None else data.get("root", "."))
    data_dir = Path(data_root) if data_root is not None else resolve(root_dir, data.get("data_root", "data"))
    names = list(data["predictions"])
    modes = _modes(data, names, str(path))
    vote = tuple(data.get("vote") or [m.name for m in modes])
    unknown = sorted(set(vote) - {m.name for m in modes})
    if unknown:
        raise EnsembleConfigError(f"{path}: vote names unknown mode(s) {unknown}")
    search = data.get("search") or {}
    check_keys(search, _SEARCH_KEYS, f"{path}: search")
    out = resolve(root_dir, data.get("out", "submission.csv"))
    official = resolve(out.parent, data.get("official_csv", "arid_pred.csv"))
    if official == out:
        raise EnsembleConfigError(f"{path}: out and official_csv are both {out}; name them apart")
    return VoteConfig(
        source=path, raw=data, num_classes=int(data.get("num_classes", 11)),
        test_csv=resolve(data_dir, data["test_csv"]),
        predictions={n: resolve(root_dir, p) for n, p in data["predictions"].items()},
        temperatures=temperatures(data.get("temperature"), names, f"{path}: temperature"),
        modes=modes, vote=vote,
        out_dir=resolve(root_dir, data.get("out_dir", "submission")),
        out=out, official_csv=official,
        official_zip=resolve(out.parent, data.get("official_zip", "ug2-2022.zip")),
        summary=resolve(out.parent, data.get("summary", f"{out.stem}.json")),
        search_predictions={n: resolve(root_dir, p) for n, p in (search.get("predictions") or {}).items()},
        search_labels=resolve(data_dir, search["labels_csv"]) if "labels_csv" in search else None,
        search_step=float(search.get("step", 0.1)),
    )


def _probs(config: VoteConfig, paths: dict[str, Path], csv_path: Path) -> tuple[dict[str, np.ndarray], Any, dict]:
    rows, files = load_joined(paths, csv_path, config.num_classes)
    return {n: softmax(f.logits, config.temperatures[n]) for n, f in files.items()}, rows, files


def run_vote(config: VoteConfig) -> dict[str, Any]:
    """Check every input, then write each mode's CSV, the voted submission, the official one and a summary.

    Returns:
        Output name -> path written.
    """
    probs, rows, files = _probs(config, config.predictions, config.test_csv)
    results = {mode.name: run_mode(probs, mode) for mode in config.modes}
    mode_preds = [results[name][0] for name in config.vote]
    mode_probs = [results[name][1] for name in config.vote]
    voted = majority_vote(mode_preds, mode_probs)
    probability = vote_probability(mode_preds, mode_probs, voted)
    official = official_rows(rows, voted, probability)
    check_official(official, rows, config.num_classes)
    outputs = {}
    for name, (preds, mixed) in results.items():
        outputs[name] = write_csv(config.out_dir / f"arid_pred_{name}.csv",
                                  submission_rows(rows.paths, preds, chosen_probability(mixed, preds)),
                                  SUBMISSION_HEADER)
    outputs["vote"] = write_csv(config.out, submission_rows(rows.paths, voted, probability), SUBMISSION_HEADER)
    official_files = write_official(config.official_csv, config.official_zip, official)
    outputs["official_csv"], outputs["official_zip"] = official_files
    valid = all_valid(files)
    outputs["summary"] = write_json(config.summary, {
        "config": str(config.source), "test_csv": str(config.test_csv), "videos": len(rows.paths),
        "invalid": int((~valid).sum()), "invalid_videos": [rows.paths[i] for i in np.flatnonzero(~valid)[:20]],
        "class_names": list(class_names(list(files.values()), config.num_classes)), "vote": list(config.vote),
        "count_per_class": np.bincount(voted, minlength=config.num_classes).tolist(),
        "outputs": {name: str(path) for name, path in outputs.items()}})
    return outputs


def search_vote(config: VoteConfig) -> tuple[dict[str, Any], dict[str, float]]:
    """Search each mode's default weights, then the subset of modes to vote, on labelled predictions.

    Returns the config data with the found weights and vote, and the validation top-1 (fractions).
    """
    if config.search_labels is None or set(config.search_predictions) != set(config.predictions):
        raise EnsembleConfigError(f"{config.source}: search needs labels_csv and a file for every prediction name")
    probs, rows, _ = _probs(config, config.search_predictions, config.search_labels)
    labels = rows.labels
    raw = dict(config.raw)
    raw["modes"] = [dict(item) for item in config.raw["modes"]]
    scores, results = {}, {}
    for item, mode in zip(raw["modes"], config.modes):
        spec, _ = search_weights(probs, labels, mode.weights, config.search_step)
        item["weights"] = spec.to_dict()
        results[mode.name] = run_mode(probs, replace(mode, weights=spec))
        scores[mode.name] = float((results[mode.name][0] == labels).mean())
    best_vote, best_acc = None, -1.0
    for size in range(1, len(config.modes) + 1):
        for subset in itertools.combinations([m.name for m in config.modes], size):
            voted = majority_vote([results[n][0] for n in subset], [results[n][1] for n in subset])
            acc = float((voted == labels).mean())
            if acc > best_acc:
                best_vote, best_acc = list(subset), acc
    raw["vote"] = best_vote
    scores["vote"] = best_acc
    return raw, scores
