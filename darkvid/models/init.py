"""Weight initialisation shared by the transformer networks (UniFormer, MViT)."""
from torch import nn


def init_transformer_weights(module: nn.Module) -> None:
    """Truncated-normal linear weights with zero bias, unit LayerNorms; use with `Module.apply`."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
