"""Small shared utilities (checkpoint files, ...); import the submodules directly."""
