"""Stage 4 pseudo labels: gen_pseudo_tools/presets/stage4.yaml, with --root/--data-root/--out overrides."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_pseudo_label import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(default_config=Path(__file__).resolve().parent / "presets" / "stage4.yaml"))
