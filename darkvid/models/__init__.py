"""darkvid networks. Importing this package registers every architecture."""
from .registry import MODEL_REGISTRY, build_model, register_model

__all__ = ["MODEL_REGISTRY", "build_model", "register_model"]
