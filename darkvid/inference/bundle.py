"""A self-contained copy of a work directory's final ensemble, with a manifest of checksums.

Layout: `manifest.json` (darkvid version, class names, each member's preprocessing, and the
sha256 and size of every other file), `vote.yaml` (the work directory's vote with its prediction
paths pointing into the bundle) and `models/<run>/config.yaml` + `best.pyth` per network.
Predicting from a bundle needs neither the work directory nor the data root.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

import darkvid
from darkvid.ensemble.config_file import read_mapping
from darkvid.ensemble.io import atomic_write_text, write_json
from darkvid.utils.files import file_sha256

from .ensemble import (
    RUN_CHECKPOINT,
    RUN_CONFIG,
    clip_plan,
    ensemble_members,
    find_vote_file,
)

MANIFEST, VOTE_FILE, MODELS_DIR = "manifest.json", "vote.yaml", "models"


class BundleError(ValueError):
    """A bundle that fails its manifest check; the message names the file."""


def export_bundle(work_dir: Path, out: Path) -> Path:
    """Copy the final models, their resolved configs and the vote of `work_dir` into `out`.

    The bundle is built in a temporary sibling folder and renamed into place, so `out` is whole
    or absent. `out` must not exist yet.
    """
    work_dir, out = Path(work_dir), Path(out)
    vote_file = find_vote_file(work_dir)
    if out.exists():
        raise BundleError(f"{out} already exists: choose a new folder")
    members, vote = ensemble_members(vote_file, work_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        raw = dict(read_mapping(vote_file))
        raw.pop("search", None)
        raw["root"], raw["predictions"] = ".", {}
        for member in members:
            run = member.checkpoint.parent
            key = "__".join(run.resolve().relative_to(work_dir.resolve()).parts)
            folder = tmp / MODELS_DIR / key
            if not folder.exists():
                folder.mkdir(parents=True)
                shutil.copyfile(member.checkpoint, folder / RUN_CHECKPOINT)
                atomic_write_text(folder / RUN_CONFIG, member.cfg.dump())
            raw["predictions"][member.name] = f"{MODELS_DIR}/{key}/{vote.predictions[member.name].name}"
        atomic_write_text(tmp / VOTE_FILE, f"# the vote of {vote_file}, over this bundle's models\n"
                          + yaml.safe_dump(raw, sort_keys=False))
        write_json(tmp / MANIFEST, _manifest(tmp, members))
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _manifest(folder: Path, members: list) -> dict[str, Any]:
    files = {p.relative_to(folder).as_posix(): {"sha256": file_sha256(p), "bytes": p.stat().st_size}
             for p in sorted(folder.rglob("*")) if p.is_file()}
    preprocessing = {}
    for member in members:
        plan, data = clip_plan(member), member.cfg.DATA
        preprocessing[member.name] = {
            "views": member.views, "crops": member.crops, "frames": data.NUM_FRAMES, "sampling": plan.sampler.kind,
            "crop_size": data.TEST_CROP_SIZE, "mean": list(data.MEAN), "std": list(data.STD),
            "gamma": None if plan.gamma is None else {"mode": plan.gamma.mode, "gamma": plan.gamma.gamma,
                                                      "target_mean": plan.gamma.target_mean},
        }
    return {"darkvid_version": darkvid.__version__, "classes": list(members[0].cfg.DATA.CLASS_NAMES),
            "vote": VOTE_FILE, "preprocessing": preprocessing, "files": files}


def verify_bundle(folder: Path) -> dict[str, Any]:
    """Check every file the manifest lists (present, same size, same sha256); returns the manifest.

    Raises:
        BundleError: naming the first missing, truncated or changed file.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{folder} is not a bundle: {MANIFEST} is missing")
    manifest = read_mapping(manifest_path)
    for name, entry in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise BundleError(f"bundle file missing: {path}")
        size = path.stat().st_size
        if size != entry["bytes"]:
            kind = "truncated" if size < entry["bytes"] else "changed"
            raise BundleError(f"bundle file {kind}: {path} has {size} bytes, the manifest says {entry['bytes']}")
        if file_sha256(path) != entry["sha256"]:
            raise BundleError(f"bundle file changed: {path} does not match its sha256 in {manifest_path}")
    if VOTE_FILE not in manifest.get("files", {}):
        raise BundleError(f"{manifest_path} does not list {VOTE_FILE}")
    return manifest
