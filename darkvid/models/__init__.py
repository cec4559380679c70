"""darkvid networks. Importing this package registers every architecture."""
from .registry import MODEL_REGISTRY, build_model, register_model
from . import slowfast  # noqa: F401  (registers "sf")
from . import mvit  # noqa: F401  (registers "mvit")
from . import uniformer  # noqa: F401  (registers "uniformer")

__all__ = ["MODEL_REGISTRY", "build_model", "register_model"]
