"""darkvid configuration: fvcore `CfgNode` defaults, YAML files and `KEY VALUE` overrides."""
from .loader import (
    ConfigError,
    config_files,
    get_cfg,
    load_config,
    merge_overrides,
    merge_yaml_file,
    validate_config,
)

__all__ = ["ConfigError", "config_files", "get_cfg", "load_config", "merge_overrides", "merge_yaml_file",
           "validate_config"]
