"""Apply trained models to new videos: one run, a work directory's ensemble, or an exported bundle."""
from .bundle import BundleError, export_bundle, verify_bundle
from .ensemble import InferenceSetupError, Member
from .inputs import expand_inputs
from .predictor import Predictor, paths_of

__all__ = ["BundleError", "InferenceSetupError", "Member", "Predictor", "expand_inputs", "export_bundle",
           "paths_of", "verify_bundle"]
