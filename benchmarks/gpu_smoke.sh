#!/usr/bin/env bash
# The `smoke` preset on one GPU with AMP: every step of `full` (full-size networks, the exp_* configs)
# on the micro synthetic set at 8 x 64 x 64 clips. Records each step's wall time (the markers) and
# its peak CUDA memory (the "peak GPU memory" line each run_net process prints at exit), and writes
# $OUT/summary.md, $OUT/steps.tsv and the step logs. Under 7 minutes on an H200 with 16 cores.
#
# On a GPU machine, from the repository root:
#     bash benchmarks/gpu_smoke.sh
# Rehearsal on a CPU machine (no AMP, no peak memory; about 14 minutes on 2 busy cores, benchmarks/README.md):
#     PY=.venv/bin/python WHEELS= LIMIT=2400 bash benchmarks/gpu_smoke.sh
#
# Variables: PY (python), OUT (results folder), WORK (pipeline work dir), SITE / WHEELS (wheels in
# .gpu_wheels/ installed into $SITE first, as benchmarks/gpu_check.sh does; empty skips),
# JOBS (steps at once, default 4, sharing the GPU), LIMIT (seconds for the pipeline, default 330).
set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PY=${PY:-python3}
OUT=${OUT:-/tmp/gpu_smoke_out}
WORK=${WORK:-/tmp/gpu_smoke_work}
SITE=${SITE:-/tmp/gpu_smoke_site}
WHEELS=${WHEELS-.gpu_wheels}
JOBS=${JOBS:-4}
LIMIT=${LIMIT:-330}
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"
export PYTHONUNBUFFERED=1
start=$(date +%s)

if [ -n "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
        "$WHEELS"/*.whl >"$OUT/pip.log" 2>&1 || { echo "wheel install failed (see pip.log)" >"$SUMMARY"; exit 1; }
    export PYTHONPATH="$SITE:$REPO"
else
    export PYTHONPATH="$REPO"
fi

{
    echo "# GPU smoke run ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo '```'
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
    "$PY" - <<'EOF'
import importlib, platform
import torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"cuda available {torch.cuda.is_available()}, bf16 {torch.cuda.is_available() and torch.cuda.is_bf16_supported()}")
missing = []
for name in ("fvcore", "iopath", "av", "yaml", "timm", "cv2", "sklearn", "pandas", "matplotlib", "submitit", "einops"):
    try:
        importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - any import failure is worth reporting
        missing.append(f"{name} ({type(err).__name__})")
print("missing modules:", ", ".join(missing) or "none")
EOF
    echo '```'
} >"$SUMMARY" 2>&1

# The smoke preset as shipped: configs/gpu/_common.yaml turns AMP on for every run.
PRESET=smoke

rm -rf "$WORK"
echo "pipeline: --preset $PRESET --jobs $JOBS (DARKVID_STEPS_PER_GPU=$JOBS), limit ${LIMIT}s" | tee -a "$SUMMARY"
DARKVID_STEPS_PER_GPU=$JOBS timeout "$LIMIT" "$PY" tools/run_pipeline.py --preset "$PRESET" --work-dir "$WORK" \
    --jobs "$JOBS" >"$OUT/pipeline.log" 2>&1
rc=$?
pipeline_s=$(( $(date +%s) - start ))

"$PY" - "$WORK" "$rc" "$pipeline_s" >>"$SUMMARY" 2>&1 <<'EOF'
import json, re, sys
from pathlib import Path
work, rc, wall = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
peak = re.compile(r"peak GPU memory of (cuda:\d+): ([\d.]+) GiB allocated, ([\d.]+) GiB reserved")
print(f"\npipeline exit status {rc}{' (timed out)' if rc == 124 else ''}; {wall} s from the start of the script\n")
print("| step | wall s | peak GiB allocated (max over its processes) | peak GiB reserved |")
print("| --- | --- | --- | --- |")
rows, total = [], 0.0
for marker in sorted((work / ".markers").glob("*.json"), key=lambda p: p.stat().st_mtime):
    record = json.loads(marker.read_text())
    log = work / "logs" / f"{record['step']}.log"
    found = peak.findall(log.read_text(errors="replace")) if log.exists() else []
    alloc = max((float(a) for _, a, _ in found), default=None)
    reserved = max((float(r) for _, _, r in found), default=None)
    total += record["seconds"]
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"| {record['step']} | {record['seconds']:.1f} | {fmt(alloc)} | {fmt(reserved)} |")
    rows.append(record['step'])
print(f"\n{len(rows)} step(s) completed, {total:.0f} s of step time; submission: "
      f"{'yes' if (work / 'submission.csv').exists() else 'no'}")
EOF
"$PY" - "$WORK" >"$OUT/steps.tsv" <<'EOF'
import json, sys
from pathlib import Path
for marker in sorted((Path(sys.argv[1]) / ".markers").glob("*.json")):
    record = json.loads(marker.read_text())
    print(f"{record['step']}\t{record['seconds']}")
EOF
# The device tool returns at most 8 files: the step logs travel as one archive.
tar -czf "$OUT/step_logs.tar.gz" -C "$WORK" logs 2>/dev/null
[ -f "$WORK/report/report.md" ] && cp "$WORK/report/report.md" "$OUT/report.md"
if [ "$rc" -ne 0 ]; then
    { echo; echo "last 40 lines of pipeline.log:"; echo '```'; tail -40 "$OUT/pipeline.log"; echo '```'; } >>"$SUMMARY"
fi
echo "total $(( $(date +%s) - start )) s" >>"$SUMMARY"
cat "$SUMMARY"
exit "$rc"
