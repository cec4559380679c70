"""From the UG2+ 2022 Track 2 download (and ARID v1.5) to darkvid's layout and seven split CSVs.

`prepare(options)` reads the organisers' lists and folders, checks them (row counts, class names
and order, missing, unlisted and duplicate videos) and, when nothing is wrong, links every video
into the DATASET.md layout under the output folder and writes the split CSVs. The download is
only read. What it reads and expects is data: `configs/data/ug2_2022.yaml`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from . import prepare_checks as checks
from .prepare_layout import (
    LayoutPlan,
    WriteResult,
    check_plan,
    csv_text,
    inside,
    write_plan,
)
from .prepare_sources import (
    PrepareError,
    Source,
    find_unique,
    locate_folder,
    numbered_videos,
    order_like,
    read_mapping_table,
    read_organiser_list,
    read_seed_list,
    scan_arid,
)

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "configs" / "data" / "ug2_2022.yaml"
SPEC_KEYS = {"mapping_table", "video_extensions", "arid_folder", "sources", "outputs"}
SOURCE_KEYS = ("train", "val", "dark", "test")
OUTPUT_KEYS = ("train", "train_val", "val", "dark", "arid", "pool", "test")
LABELLED = {"train", "val", "arid"}


@dataclass
class PrepareOptions:
    """What to read and where to write; `expected` overrides row counts by CSV name."""

    download: Path
    output: Path
    arid: Optional[Path] = None
    seed_lists: Optional[Path] = None
    spec: Path = DEFAULT_SPEC
    expected: Dict[str, int] = field(default_factory=dict)
    force: bool = False
    dry_run: bool = False


@dataclass
class PrepareReport:
    """Problems found (the run failed when any), what was read, and what was written."""

    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    written: Optional[WriteResult] = None

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def summary(self) -> str:
        """The readable report the command prints."""
        lines = [*self.notes]
        if self.written is not None:
            w = self.written
            lines.append(f"links: {w.made} made, {w.kept} already in place")
            lines.append(f"CSVs written: {', '.join(w.csv_written) or 'none'}; "
                         f"unchanged: {', '.join(w.csv_kept) or 'none'}")
        if self.problems:
            lines.append(f"{len(self.problems)} problems (nothing was written):")
            lines += [f"  - {p}" for p in self.problems]
        else:
            dry_note = " (dry run: nothing written)" if self.written is None else ""
            lines.append("OK: the download matches the lists" + dry_note)
        return "\n".join(lines)


def load_spec(path: Path) -> dict:
    """The data config, with its keys checked."""
    try:
        spec = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise PrepareError(f"{path}: cannot read the data config: {err}") from None
    unknown = set(spec or {}) ^ SPEC_KEYS
    if unknown:
        raise PrepareError(f"{path}: keys {sorted(unknown)} are unknown or missing (expected {sorted(SPEC_KEYS)})")
    for group, keys in (("sources", SOURCE_KEYS), ("outputs", OUTPUT_KEYS)):
        if set(spec[group]) != set(keys):
            raise PrepareError(f"{path}: '{group}' must have exactly {list(keys)}, has {sorted(spec[group])}")
    return spec


def read_sources(download: Path, spec: dict, num_classes: int) -> Dict[str, Source]:
    """The four organiser sources: their rows and the download folders holding their videos."""
    sources = {}
    for key in SOURCE_KEYS:
        entry = spec["sources"][key]
        if entry["list"]:
            list_path = find_unique(download, entry["list"])
            rows = read_organiser_list(list_path, num_classes)
            sources[key] = Source(key, locate_folder(download, entry["folder"], rows), rows, str(list_path))
        else:
            folder = download / entry["folder"]
            sources[key] = Source(key, folder, numbered_videos(folder), f"the files of {folder}")
    return sources


def read_arid(options: PrepareOptions, spec: dict, class_names: Sequence[str]) -> Source:
    """ARID v1.5 from --arid, else from the download, labelled by class folder."""
    root = options.arid or options.download
    clips = find_unique(root, spec["arid_folder"], directory=True)
    rows = scan_arid(clips, class_names, [e.lower() for e in spec["video_extensions"]])
    return Source("arid", clips, rows, f"the class folders of {clips}")


def output_rows(sources: Dict[str, Source]) -> Dict[str, List[tuple]]:
    """(path, label) rows of each output, by output key (the DATASET.md contents)."""
    def rows(key: str, hide: bool = False) -> List[tuple]:
        return [(r.name, -1 if hide else r.label) for r in sources[key].rows]

    return {
        "train": rows("train"),
        "train_val": rows("train") + rows("val"),
        "val": rows("val"),
        "dark": rows("dark", hide=True),
        "arid": rows("arid"),
        "pool": rows("dark", hide=True) + rows("arid", hide=True),
        "test": rows("test", hide=True),
    }


def plan_layout(sources: Dict[str, Source], spec: dict, video_dirs: Dict[str, str]) -> LayoutPlan:
    """Links of every video into its DATASET.md folders, and the CSV texts.

    `video_dirs` maps source keys to output folders (DATA.VIDEO_DIR); the dry-run clips are linked
    into the training folder too and ARID into the dark folder, as the seed's lists expect.
    """
    plan = LayoutPlan()
    placements = [("train", "train"), ("val", "val"), ("val", "train"), ("dark", "dark"),
                  ("arid", "arid"), ("arid", "pool"), ("test", "test")]
    for key, where in placements:
        source = sources[key]
        for row in source.rows:
            plan.link(f"{video_dirs[where]}/{row.name}", (source.folder / row.name).resolve())
    for key, rows in output_rows(sources).items():
        plan.csvs[spec["outputs"][key]["csv"]] = csv_text(rows)
    return plan


def check_sources(sources: Dict[str, Source], spec: dict) -> List[str]:
    """Duplicates, missing files, unlisted files and missing labels of every source."""
    problems: List[str] = []
    for source in sources.values():
        problems += checks.check_duplicates(source) + checks.check_missing(source)
        problems += checks.check_labels(source, source.key in LABELLED)
    problems += [p for key in SOURCE_KEYS if not spec["sources"][key]["list"]
                 for p in checks.check_numbering(sources[key])]
    extensions = spec["video_extensions"]
    for key in SOURCE_KEYS:
        folder = sources[key].folder
        listed = {r.name for s in sources.values() if s.folder == folder for r in s.rows}
        if key == "train":  # the dry-run clips may also sit in the training folder
            listed |= {r.name for r in sources["val"].rows}
        problems += checks.check_extras(folder, listed, extensions, key)
    return problems


def apply_seed_lists(sources: Dict[str, Source], spec: dict, seed_dir: Path) -> None:
    """Labels the public dry-run list lacks, and ARID in the seed's order, from the seed's lists."""
    outputs = spec["outputs"]
    val_csv = seed_dir / outputs["val"]["csv"]
    if val_csv.is_file():
        sources["val"].rows = checks.label_from_seed(sources["val"].rows, read_seed_list(val_csv))
    arid_csv = seed_dir / outputs["arid"]["csv"]
    if arid_csv.is_file():
        sources["arid"].rows = order_like(sources["arid"].rows, [p for p, _ in read_seed_list(arid_csv)])


def compare_seed_lists(rows: Dict[str, List[tuple]], spec: dict, seed_dir: Path) -> List[str]:
    """Differences between each CSV built and the seed's list of the same name, where it has one."""
    problems = []
    for key, built in rows.items():
        path = seed_dir / spec["outputs"][key]["csv"]
        if path.is_file():
            problems += checks.compare_with_seed(path.name, built, read_seed_list(path))
    return problems


def prepare(options: PrepareOptions, class_names: Sequence[str], video_dirs: Dict[str, str]) -> PrepareReport:
    """Check the download and, when nothing is wrong, write the layout and the split CSVs.

    Args:
        options: what to read and where to write.
        class_names: DATA.CLASS_NAMES, which the mapping table must match.
        video_dirs: output folder per place (train, val, dark, arid, pool, test): DATA.VIDEO_DIR.
    """
    report = PrepareReport()
    spec = load_spec(options.spec)
    inputs = [p for p in (options.download, options.arid, options.seed_lists) if p is not None]
    if inside(options.output, [p.resolve() for p in inputs]):
        raise PrepareError(f"--output {options.output} lies inside an input folder: darkvid never writes there")
    table_path = find_unique(options.download, spec["mapping_table"])
    table = read_mapping_table(table_path)
    report.problems += checks.check_classes(table, class_names, str(table_path))
    sources = read_sources(options.download, spec, len(table))
    sources["arid"] = read_arid(options, spec, table)
    if options.seed_lists is not None:
        apply_seed_lists(sources, spec, options.seed_lists)
    report.notes += [f"{s.key}: {len(s.rows)} videos from {s.origin} in {s.folder}" for s in sources.values()]
    report.problems += check_sources(sources, spec)
    rows = output_rows(sources)
    counts = {spec["outputs"][k]["csv"]: len(v) for k, v in rows.items()}
    expected = {o["csv"]: o["rows"] for o in spec["outputs"].values()} | options.expected
    report.notes += [f"{name}: {n} rows (expected {expected.get(name, '?')})" for name, n in counts.items()]
    report.problems += checks.check_counts(counts, expected)
    if options.seed_lists is not None:
        report.problems += compare_seed_lists(rows, spec, options.seed_lists)
    plan = plan_layout(sources, spec, video_dirs)
    report.problems += plan.problems + check_plan(plan, options.output, inputs, options.force)
    if report.ok and not options.dry_run:
        report.written = write_plan(plan, options.output)
    return report
