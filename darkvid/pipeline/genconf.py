"""The ensemble tools' configs for one work directory, derived from the shipped presets.

The pseudo-label and vote settings (weights, gates, rules, modes) stay in the repository's files
(gen_pseudo_tools/presets/stage1_auto.yaml, configs/ensemble/final_vote.yaml); only the paths of
prediction files (which depend on the model preset), the stage and the targets are filled in here.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from .layout import View, pseudo_csv_from_data
from .presets import REPO, Preset

PSEUDO_TEMPLATE = REPO / "gen_pseudo_tools" / "presets" / "stage1_auto.yaml"
VOTE_TEMPLATE = REPO / "configs" / "ensemble" / "final_vote.yaml"
VOTE_MODELS = {"ssv2": "uniformer_b32_ssv2", "k600": "uniformer_b32_k600", "mvit": "mvit_b32_k600",
               "sf": "sf32_k700", "dense": None}
_VOTE_NAME = re.compile(r"^([a-z0-9]+)_(\d+)x(\d+)$")

# (model or None for the expert, View) -> work-dir path of the prediction file
FileOf = Callable[[Optional[str], View], str]


def pseudo_config(preset: Preset, stage: int, pool: dict[str, str], arid: dict[str, str]) -> dict[str, Any]:
    """Stage `stage`'s pseudo-label config: the auto (or the seed's fixed) preset with this run's files."""
    template = fixed_pseudo_template(stage) if preset.fixed_thresholds else PSEUDO_TEMPLATE
    data = yaml.safe_load(template.read_text())
    data.update(root=".", data_root="data", predictions=dict(pool), out=pseudo_csv_from_data(stage))
    if preset.fixed_thresholds:  # the seed's hand-set weights and thresholds of that stage, nothing searched
        return data
    data["auto"].update(val_predictions=dict(arid), target_precision=preset.target_precision,
                        relax_per_stage=preset.relax_per_stage, min_selected=preset.min_selected, stage=stage,
                        search_weights=preset.search_weights)
    return data


def fixed_pseudo_template(stage: int) -> Path:
    """The seed's pseudo-label preset of `stage` (gen_pseudo_tools/presets/stageN.yaml)."""
    return PSEUDO_TEMPLATE.with_name(f"stage{stage}.yaml")


def vote_views() -> list[tuple[str, Optional[str], int, int]]:
    """(name, model or None for the expert, views, crops) of every prediction the vote reads."""
    data = yaml.safe_load(VOTE_TEMPLATE.read_text())
    out = []
    for name in data["predictions"]:
        found = _VOTE_NAME.match(name)
        if found is None or found.group(1) not in VOTE_MODELS:
            raise ValueError(f"{VOTE_TEMPLATE}: prediction name {name!r} is not <model>_<views>x<crops>")
        out.append((name, VOTE_MODELS[found.group(1)], int(found.group(2)), int(found.group(3))))
    return out


def official_files() -> tuple[str, str]:
    """The challenge's CSV and zip that the vote writes beside its `out` (named in the vote template)."""
    data = yaml.safe_load(VOTE_TEMPLATE.read_text())
    return data["official_csv"], data["official_zip"]


def vote_config(file_of: FileOf, out: str, out_dir: str, search: bool) -> dict[str, Any]:
    """The final vote over this run's test files; with `search`, dark-validation twins to search on."""
    data = copy.deepcopy(yaml.safe_load(VOTE_TEMPLATE.read_text()))
    data.update(root=".", data_root="data", out=out, out_dir=out_dir)
    data["predictions"] = {name: file_of(model, View("test", v, c)) for name, model, v, c in vote_views()}
    if search:
        search_files = {name: file_of(model, View("arid", v, c)) for name, model, v, c in vote_views()}
        data["search"] = {"predictions": search_files, "labels_csv": "arid.csv", "step": 0.1}
    return data


def write_yaml(path: Path, data: dict[str, Any], header: str) -> Path:
    """Write `data` as YAML unless the file already holds exactly that text (keeps its mtime stable)."""
    text = f"# {header}\n" + yaml.safe_dump(data, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path
