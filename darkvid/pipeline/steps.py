"""The step graph of the whole method, built from a preset, and the --from / --only selection.

Order (a topological one): data, adapt-BN training of the four models, the two training ablations,
then per stage the pseudo labels and the four fine-tunings (the dense expert with the last stage),
the vote, its scores, the test-time ablation, the report. Every command is what a user runs by hand
in the work directory: exp_*/*/run.sh and test.sh, gen_pseudo_tools, test_ensemble_vote.py,
tools/score.py.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

from .data_root import DATA, SPLIT_CSVS, external_root
from .genconf import official_files, pseudo_config, vote_config, vote_views, write_yaml
from .layout import (
    EXPERT,
    MODELS,
    View,
    config_files,
    init_weights,
    model_exp,
    prediction_file,
    pseudo_csv,
    pseudo_csv_from_data,
    stage_name,
)
from .presets import REPO, Preset
from .step import Command, Step

POOL, ARID, TEST = View("total_unlabel"), View("arid"), View("test")
TEST_VIEWS = (View("test", 1, 3), View("test", 3, 3))
ARID_VIEWS = (View("arid", 1, 3), View("arid", 3, 3))
ABLATION = "ablation"
STATS = "stats.jsonl"  # what darkvid.engine.logging.StatsWriter writes into OUTPUT_DIR


class Plan:
    """Builds the steps of one preset in one work directory (writes the generated configs)."""

    def __init__(self, preset: Preset, work: Path, generator_args: tuple[str, ...] = ()) -> None:
        self.preset, self.work, self.generator_args = preset, Path(work), tuple(generator_args)
        self.data_root = external_root(self.work)  # a user's data root: read, never generated into
        self.env = (("DARKVID_PRESET", preset.darkvid_preset),) if preset.darkvid_preset else ()
        # run.sh starts `python` from PATH unless told otherwise: use this interpreter (the venv's).
        launcher = os.environ.get("DARKVID_LAUNCHER") or sys.executable
        # The repository first, then the caller's own path (packages installed with --target, say).
        python_path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
        self.env += (("PYTHONPATH", python_path), ("DARKVID_LAUNCHER", launcher))
        self.last = preset.stages

    def pred(self, stage: Optional[int], model: str, view: View) -> str:
        return prediction_file(self.preset, model_exp(stage, model), view)

    def launch(self, exp: str, script: str, kind: str, *extra: str) -> Command:
        """bash exp/script (run.sh or test.sh) with the data root, the preset's overrides of `kind`, `extra`."""
        overrides = self.preset.run_overrides(kind, Path(exp).name)
        argv = ("bash", str(REPO / exp / script), "DATA.PATH_PREFIX", DATA, *overrides, *extra)
        return Command(argv, self.env)

    def python(self, script: str, *args: str) -> Command:
        """A repository script run with this interpreter."""
        return Command((sys.executable, str(REPO / script), *args), self.env)

    def data_step(self) -> Step:
        outputs = tuple(f"{DATA}/{c}" for c in SPLIT_CSVS)
        generator = self.preset.generator
        provided = (self.work / DATA / "test.csv").exists() and not (self.work / DATA / "summary.json").exists()
        if generator is None or provided or self.data_root is not None:
            where = f"--data-root {self.data_root}" if self.data_root else f"{self.work / DATA}"
            return Step("data", (), outputs, note=f"{where} lacks split CSVs: lay it out as DATASET.md says.")
        cmd = self.python("tools/make_synthetic_arid.py", "--root", DATA, "--preset", generator, "--workers", "2",
                          *self.generator_args)
        # train_label.csv is the synthetic set's own list (the demo trains on it; real data has none).
        return Step("data", (cmd,), (*outputs, f"{DATA}/train_label.csv", f"{DATA}/summary.json"))

    def model_step(self, stage: Optional[int], model: str) -> Step:
        """Train `model` at `stage` (None: the expert), then predict what the next steps read."""
        exp, last = model_exp(stage, model), stage is None or stage == self.last
        kind = "expert" if stage is None else ("adapt" if stage == 0 else "stage")
        first = TEST if last else POOL
        extra = ["DATA.PSEUDO_CSV", pseudo_csv_from_data(self.last)] if stage is None else []
        views = [ARID, TEST] if not last else [ARID, *TEST_VIEWS, *(ARID_VIEWS if self.preset.vote_search else ())]
        # One process trains and makes every prediction (TEST.EXTRA_VIEWS): no start-up per view.
        others = [v.spec for v in views if v != first]
        extra_views = ["TEST.EXTRA_VIEWS", repr(others)] if others else []
        commands = [self.launch(exp, "run.sh", kind, *extra, *first.overrides(), *extra_views)]
        outputs = (f"{exp}/best.pyth", *(self.pred(stage, model, v) for v in [first, *views]))
        deps, inputs = ["data"], [f"{DATA}/{csv}" for csv in SPLIT_CSVS]
        if stage is None or stage > 0:
            deps.append(f"pseudo{self.last if stage is None else stage}")
            inputs.append(pseudo_csv(self.last if stage is None else stage))
        weights = init_weights(exp, self.preset.darkvid_preset)
        if weights and (self.work / weights).exists():
            inputs.append(weights)  # new pre-trained weights retrain the models that start from them
        if stage is not None and stage > 0:
            deps.append(f"{stage_name(stage - 1)}.{model}")
            inputs.append(f"{model_exp(stage - 1, model)}/best.pyth")
        name = f"expert.{model}" if stage is None else f"{stage_name(stage)}.{model}"
        return Step(name, tuple(commands), tuple(dict.fromkeys(outputs)), tuple(inputs),
                    config_files(exp, self.preset.darkvid_preset), tuple(deps), clean=(exp,), stats=f"{exp}/{STATS}")

    def pseudo_step(self, stage: int) -> Step:
        pool = {m: self.pred(stage - 1, m, POOL) for m in MODELS}
        arid = {m: self.pred(stage - 1, m, ARID) for m in MODELS}
        config = f"configs/pseudo_stage{stage}.yaml"
        write_yaml(self.work / config, pseudo_config(self.preset, stage, pool, arid),
                   f"stage {stage} pseudo labels, written by tools/run_pipeline.py from "
                   f"{Path('gen_pseudo_tools/presets/stage1_auto.yaml')}")
        out = pseudo_csv(stage).removesuffix(".csv")
        cmd = self.python("gen_pseudo_tools/generate_pseudo_label.py", "--config", config)
        return Step(f"pseudo{stage}", (cmd,), (f"{out}.csv", f"{out}.json"), (*pool.values(), *arid.values()),
                    (config,), tuple(f"{stage_name(stage - 1)}.{m}" for m in MODELS),
                    clean=(f"{out}.csv", f"{out}.json"),
                    note="No pool video passed the automatic thresholds: lower pseudo.target_precision in the preset.",
                    nonempty=(f"{out}.csv",))

    def _vote_file(self, model: Optional[str], view: View) -> str:
        return self.pred(None, EXPERT, view) if model is None else self.pred(self.last, model, view)

    def ensemble_step(self) -> Step:
        """The seed's fixed vote; with vote_search also the vote searched on dark validation (submitted)."""
        search = self.preset.vote_search
        write_yaml(self.work / "configs/vote_fixed.yaml",
                   vote_config(self._vote_file, "ensemble/fixed/submission.csv", "ensemble/fixed", False),
                   "the seed's fixed vote (configs/ensemble/final_vote.yaml) on this run's files")
        commands = [self.python("test_ensemble_vote.py", "--config", "configs/vote_fixed.yaml")]
        outputs, configs = ["ensemble/fixed/submission.csv"], ["configs/vote_fixed.yaml"]
        if search:
            write_yaml(self.work / "configs/vote_search.yaml",
                       vote_config(self._vote_file, "ensemble/searched/submission.csv", "ensemble/searched", True),
                       "the vote with weights and voting modes to search on the arid predictions")
            commands += [self.python("test_ensemble_vote.py", "--config", "configs/vote_search.yaml", "--search",
                                      "--save", "ensemble/vote_searched.yaml"),
                         self.python("test_ensemble_vote.py", "--config", "ensemble/vote_searched.yaml")]
            outputs += ["ensemble/vote_searched.yaml", "ensemble/searched/submission.csv"]
            configs.append("configs/vote_search.yaml")
        voted = [f"{Path(out).parent}/{name}" for out in outputs if out.endswith(".csv") for name in official_files()]
        final = (outputs[-1], *voted[-2:])  # the submitted vote: darkvid's CSV, the official CSV and zip
        commands.append(Command(("cp", *final, ".")))
        outputs += voted
        files = {self._vote_file(m, View("test", v, c)) for _, m, v, c in vote_views()}
        if search:
            files |= {self._vote_file(m, View("arid", v, c)) for _, m, v, c in vote_views()}
        deps = [f"{stage_name(self.last)}.{m}" for m in MODELS] + [f"expert.{EXPERT}"]
        return Step("ensemble", tuple(commands), (*outputs, *(Path(f).name for f in final)), tuple(sorted(files)),
                    tuple(configs), tuple(deps), clean=("ensemble", *(Path(f).name for f in final)))

    def score_step(self) -> Step:
        """tools/score.py on the submission (and the fixed vote) against data/test_labels.csv."""
        labels = f"{DATA}/test_labels.csv"
        commands = [self.python("tools/score.py", "submission.csv", labels, "--json", "report/submission_score.json",
                                 "--png", "report/confusion.png"),
                    self.python("tools/score.py", "ensemble/fixed/submission.csv", labels, "--json",
                                 "report/fixed_vote_score.json", "--png", "ensemble/fixed/confusion.png")]
        outputs = ("report/submission_score.json", "report/confusion.png", "report/fixed_vote_score.json")
        return Step("score", tuple(commands), outputs, ("submission.csv", "ensemble/fixed/submission.csv", labels),
                    deps=("ensemble",), clean=outputs)
