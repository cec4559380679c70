"""Pipeline presets (configs/pipeline/<name>.yaml): the data and settings that differ between runs.

A preset is data, not code: which synthetic set to make, which model bases run.sh uses, how many
pseudo-label stages, and the `KEY VALUE` overrides passed to every run.sh / test.sh by kind of run.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

from darkvid.config import ConfigError, get_cfg, merge_overrides

REPO = Path(__file__).resolve().parents[2]
PRESET_DIR = REPO / "configs" / "pipeline"
OVERRIDE_KINDS = ("all", "adapt", "stage", "expert")
_KEYS = ("generator", "darkvid_preset", "stages", "jobs", "vote_search", "ablation_model", "pseudo", "overrides",
         "model_overrides", "cluster")


class PresetError(ValueError):
    """A preset file that cannot drive the pipeline; the message names the file and key."""


@dataclass(frozen=True)
class Preset:
    """One parsed preset; `overrides` maps a kind of run to its flat `KEY VALUE` list."""

    name: str
    source: Path
    generator: Optional[str]
    darkvid_preset: Optional[str]
    stages: int
    jobs: int
    vote_search: bool
    ablation_model: str
    target_precision: float
    relax_per_stage: float
    min_selected: int
    search_weights: bool
    overrides: dict[str, tuple[str, ...]]
    model_overrides: dict[str, tuple[str, ...]]
    # pseudo.thresholds "fixed": the seed's hand-set gen_pseudo_tools/presets/stageN.yaml instead of "auto"
    fixed_thresholds: bool = False
    cluster: Optional[dict[str, Any]] = None  # submitit settings per kind of step (darkvid/pipeline/slurm.py)
    extra_overrides: tuple[str, ...] = ()  # run_pipeline.py --override: after every other override, so they win

    def with_overrides(self, pairs: Sequence[Sequence[str]]) -> "Preset":
        """This preset with `KEY VALUE` pairs given to every run after all of the preset's own overrides.

        Raises:
            PresetError: a key that is not a darkvid config key, naming it.
        """
        cfg = get_cfg()
        flat = tuple(str(word) for pair in pairs for word in pair)
        try:
            merge_overrides(cfg, list(flat))
        except (ConfigError, KeyError) as err:
            raise PresetError(f"--override: {err}") from err
        return dataclasses.replace(self, extra_overrides=(*self.extra_overrides, *flat))

    def run_overrides(self, kind: str, model: str = "") -> list[str]:
        """Overrides of every run, then those of `kind` (adapt, stage or expert), the model's, the --override ones."""
        return [*self.overrides["all"], *self.overrides.get(kind, ()), *self.model_overrides.get(model, ()),
                *self.extra_overrides]


def _flat(mapping: Any, where: str) -> tuple[str, ...]:
    if mapping is None:
        return ()
    if not isinstance(mapping, dict):
        raise PresetError(f"{where}: expected a mapping of config key to value")
    out: list[str] = []
    for key, value in mapping.items():
        out += [str(key), str(value)]
    return tuple(out)


def available_presets() -> list[str]:
    """Names of the preset files shipped in configs/pipeline/."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(name_or_path: str) -> Preset:
    """Read a preset by name (configs/pipeline/NAME.yaml) or by path, checking every key."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise PresetError(f"preset {name_or_path!r} not found; shipped presets: {', '.join(available_presets())}")
    data = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise PresetError(f"{path}: unknown key(s) {unknown}; allowed: {list(_KEYS)}")
    overrides = data.get("overrides") or {}
    bad = sorted(set(overrides) - set(OVERRIDE_KINDS))
    if bad:
        raise PresetError(f"{path}: overrides: unknown kind(s) {bad}; allowed: {list(OVERRIDE_KINDS)}")
    stages = int(data.get("stages", 4))
    if not 1 <= stages <= 4:
        raise PresetError(f"{path}: stages must be 1..4 (the exp_pseudo_stageN folders), got {stages}")
    pseudo = data.get("pseudo") or {}
    allowed = ("target_precision", "relax_per_stage", "min_selected", "search_weights", "thresholds")
    bad = sorted(set(pseudo) - set(allowed))
    if bad:
        raise PresetError(f"{path}: pseudo: unknown key(s) {bad}; allowed: {', '.join(allowed)}")
    if pseudo.get("thresholds", "auto") not in ("auto", "fixed"):
        raise PresetError(f"{path}: pseudo.thresholds must be auto or fixed, got {pseudo['thresholds']!r}")
    return Preset(
        name=path.stem, source=path.resolve(),  # absolute: the report step runs in the work directory
        generator=data.get("generator"), darkvid_preset=data.get("darkvid_preset"),
        stages=stages, jobs=max(1, int(data.get("jobs", 1))), vote_search=bool(data.get("vote_search", False)),
        ablation_model=str(data.get("ablation_model", "uniformer_b32_k600")),
        target_precision=float(pseudo.get("target_precision", 0.95)),
        relax_per_stage=float(pseudo.get("relax_per_stage", 0.0)),
        min_selected=int(pseudo.get("min_selected", 0)),
        search_weights=bool(pseudo.get("search_weights", False)),
        overrides={kind: _flat(overrides.get(kind), f"{path}: overrides.{kind}") for kind in OVERRIDE_KINDS},
        model_overrides={model: _flat(values, f"{path}: model_overrides.{model}")
                         for model, values in (data.get("model_overrides") or {}).items()},
        fixed_thresholds=pseudo.get("thresholds", "auto") == "fixed", cluster=data.get("cluster"),
    )
