"""The dark-frame treatment keys reach every use through split_gamma: BN adaptation, pseudo-label
training and testing get the same treatment; defaults keep today's plain gamma correction."""
import pytest

from darkvid.datasets.build import build_dataset, build_gamma, split_gamma
from darkvid.datasets.darkframe import DarkFrameTreatment
from darkvid.datasets.gamma import GammaCorrection
from darkvid.engine.data_setup import bn_batches, default_data
from tests.datasets.conftest import tiny_cfg

TREATMENTS = [
    ("DATA.STANDARDISE", "True"),
    ("DATA.DUAL_GAMMA", "0.5"),
    ("DATA.TEMPORAL_DENOISE", "3"),
    ("DATA.SPATIAL_DENOISE", "3", "DATA.SPATIAL_DENOISE_KIND", "gaussian"),
]


def _uses(cfg):
    """The treatment of each use: BN adaptation's clips, pseudo-label training, testing, dark validation."""
    adapt = bn_batches(cfg, default_data(), normal_light=False)()
    return {"bn_adapt": adapt.dataset.gamma, "pseudo": build_dataset(cfg, "train_pseudo_label").gamma,
            "test": build_dataset(cfg, "test").gamma, "arid_split": split_gamma(cfg, "arid")}


def test_defaults_are_the_plain_gamma_correction(layout):
    cfg = tiny_cfg(layout)
    uses = _uses(cfg)
    assert all(type(t) is GammaCorrection and t == GammaCorrection("fixed", 0.25) for t in uses.values())
    assert build_dataset(cfg, "train_label").gamma is None and build_dataset(cfg, "val_dry").gamma is None


@pytest.mark.parametrize("opts", TREATMENTS)
def test_every_use_gets_the_same_treatment(layout, opts):
    cfg = tiny_cfg(layout, *opts)
    expected = build_gamma(cfg)
    assert isinstance(expected, DarkFrameTreatment)
    assert all(t == expected for t in _uses(cfg).values()), _uses(cfg)
    assert build_dataset(cfg, "train_label").gamma is None  # normal-light training stays untreated


def test_treatment_fields_follow_the_keys(layout):
    cfg = tiny_cfg(layout, "DATA.STANDARDISE", "True", "DATA.STANDARDISE_TARGET", "[0.5, 0.2]",
                   "DATA.DUAL_GAMMA", "0.6", "DATA.DUAL_GAMMA_WEIGHT", "0.7", "DATA.TEMPORAL_DENOISE", "5",
                   "DATA.GAMMA_MODE", "adaptive")
    t = build_gamma(cfg)
    assert (t.mode, t.standardise, t.dual_mild, t.dual_weight, t.temporal_k) == ("adaptive", (0.5, 0.2), 0.6, 0.7, 5)
    assert build_gamma(tiny_cfg(layout, "DATA.STANDARDISE", "True", "DATA.GAMMA_MODE", "off")) is None


def test_noise_augmentation_reaches_normal_light_training_only(layout):
    cfg = tiny_cfg(layout, "DATA.NOISE_AUG_STD", "4.0")
    train = build_dataset(cfg, "train_label").gamma
    assert isinstance(train, DarkFrameTreatment) and train.noise_std == 4.0 and not train.correct
    assert bn_batches(cfg, default_data(), normal_light=True)().dataset.gamma is None  # val_dry is scored clean
    assert type(build_dataset(cfg, "test").gamma) is GammaCorrection  # the dark splits are not noised
    assert build_dataset(cfg, "val_dry").gamma is None
    item = build_dataset(cfg, "train_label")[0]
    assert item.gamma == 1.0 and item.clip.shape[1] == 4
    both = split_gamma(tiny_cfg(layout, "DATA.NOISE_AUG_STD", "2.0", "DATA.NOISE_AUG_SPLITS", "['test']"), "test")
    assert both.correct and both.noise_std == 2.0 and both.gamma == 0.25
    half = build_dataset(tiny_cfg(layout, "DATA.NOISE_AUG_STD", "4.0", "DATA.NOISE_AUG_PROB", "0.5"), "train_label")
    assert half.gamma.noise_prob == 0.5 and train.noise_prob == 1.0
    assert build_dataset(tiny_cfg(layout, "DATA.NOISE_AUG_STD", "4.0", "DATA.NOISE_AUG_PROB", "0.0"),
                         "train_label").gamma is None
    with pytest.raises(ValueError, match="DATA.NOISE_AUG_PROB"):
        split_gamma(tiny_cfg(layout, "DATA.NOISE_AUG_STD", "4.0", "DATA.NOISE_AUG_PROB", "-0.5"), "train_label")
