"""darkvid networks. Importing this package registers every architecture."""
from . import mvit, slowfast, uniformer  # noqa: F401  (importing registers "mvit", "sf", "uniformer")
from .registry import MODEL_REGISTRY, build_model, register_model

__all__ = ["MODEL_REGISTRY", "build_model", "register_model"]
