"""Ablation steps on the dark test set for one model: what each part of the method adds.

Rows (cumulative): trained on normal light with no adaptation and no gamma; + gamma at test; + BN
adaptation on uncorrected dark clips (the seed's way); + BN adaptation on gamma-corrected clips (the
adapt-BN model itself); + each pseudo-label stage; + 3 views x 3 crops of the last stage; + the
ensembles. The one training run is the adapt-BN experiment again into ablation/ with BN adaptation
and gamma off; the gamma and seed-style BN rows test those same weights (TEST.ADAPT_BN re-estimates
the statistics at test time); every other row reads a prediction the model steps make anyway: 1x1
at each stage, 3x3 only at the last, where the vote needs it (no test pass is made for the table).
"""
from __future__ import annotations

from dataclasses import dataclass

from .layout import View, config_files, model_exp, prediction_file, stage_name
from .step import Step
from .steps import ABLATION, STATS, TEST, TEST_VIEWS, Plan

FULL_VIEWS = TEST_VIEWS[-1]


@dataclass(frozen=True)
class Row:
    """One ablation row: its label and the prediction file (or submission) it is scored from."""

    key: str
    label: str
    file: str


def _out(plan: Plan, folder: str, view: View) -> str:
    exp = model_exp(0, plan.preset.ablation_model)
    return prediction_file(plan.preset, exp, view, out_dir=f"{ABLATION}/{folder}")


def training_steps(plan: Plan) -> list[Step]:
    """Normal-light-only training, then its weights tested with gamma and with seed-style BN adaptation."""
    model = plan.preset.ablation_model
    exp = model_exp(0, model)
    normal = f"{ABLATION}/normal_only"
    train_normal = plan.launch(exp, "run.sh", "adapt", "OUTPUT_DIR", normal, "BN.USE_PRECISE_STATS", "False",
                                "DATA.GAMMA_MODE", "off", *TEST.overrides())
    gamma = plan.launch(exp, "test.sh", "adapt", "OUTPUT_DIR", f"{ABLATION}/normal_only_gamma",
                         "TEST.CHECKPOINT_FILE_PATH", f"{normal}/best.pyth", *TEST.overrides())
    raw = plan.launch(exp, "test.sh", "adapt", "OUTPUT_DIR", f"{ABLATION}/bn_raw",
                       "TEST.CHECKPOINT_FILE_PATH", f"{normal}/best.pyth", "TEST.ADAPT_BN", "True",
                       "BN.ADAPT_GAMMA", "False", *TEST.overrides())
    outputs = (f"{normal}/best.pyth", _out(plan, "normal_only", TEST), _out(plan, "normal_only_gamma", TEST),
               _out(plan, "bn_raw", TEST))
    return [
        Step(f"{ABLATION}.normal_only", (train_normal, gamma, raw), outputs,
             configs=config_files(exp, plan.preset.darkvid_preset), deps=("data",),
             clean=(normal, f"{ABLATION}/normal_only_gamma", f"{ABLATION}/bn_raw"), stats=f"{normal}/{STATS}"),
    ]


def rows(plan: Plan) -> list[Row]:
    """The ablation table's rows, in order."""
    model = plan.preset.ablation_model
    out = [
        Row("normal_only", "normal light only, no adaptation, no gamma (1x1)", _out(plan, "normal_only", TEST)),
        Row("gamma", "+ gamma correction at test", _out(plan, "normal_only_gamma", TEST)),
        Row("bn_raw", "+ BN adaptation on uncorrected dark clips at test (seed's way, same weights)",
            _out(plan, "bn_raw", TEST)),
        Row("bn_gamma", "+ BN adaptation on gamma-corrected clips (adapt-BN model)", plan.pred(0, model, TEST)),
    ]
    for stage in range(1, plan.last + 1):
        out.append(Row(stage_name(stage), f"+ pseudo-label {stage_name(stage)}", plan.pred(stage, model, TEST)))
    out.append(Row("views", f"+ 3 views x 3 crops ({stage_name(plan.last)} model)",
                   plan.pred(plan.last, model, FULL_VIEWS)))
    out.append(Row("vote_fixed", "+ ensemble and vote, the seed's fixed weights", "ensemble/fixed/submission.csv"))
    if plan.preset.vote_search:
        out.append(Row("vote_searched", "+ ensemble and vote, weights searched on arid (submission)",
                       "ensemble/searched/submission.csv"))
    return out

