"""darkvid's engine: one training loop, BN adaptation, per-video prediction, and the run entry points."""
from .bn_adapt import adapt_bn
from .predict import Predictions, predict
from .tester import run_test, write_predictions
from .train_loop import NonFiniteLossError, train_one_epoch
from .trainer import evaluate, fit

__all__ = [
    "NonFiniteLossError",
    "Predictions",
    "adapt_bn",
    "evaluate",
    "fit",
    "predict",
    "run_test",
    "train_one_epoch",
    "write_predictions",
]
