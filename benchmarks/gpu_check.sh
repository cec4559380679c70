#!/usr/bin/env bash
# One-shot GPU check: full-size model speed/memory (benchmarks/models.py, fp32 and bf16) and the
# engine end to end with AMP, alone, under torchrun, and inside an nccl process group.
#
# On a GPU machine, from the repository root:
#     bash benchmarks/gpu_check.sh
# Rehearsal on a CPU machine (small clips, gloo instead of nccl):
#     DEVICE=cpu PY=.venv/bin/python bash benchmarks/gpu_check.sh
#
# Variables: DEVICE (cuda|cpu), PY (python), OUT (results folder), WHEELS (folder of wheels to
# install into $SITE first; empty skips), FRAMES SIZE BATCH REPEATS WARMUP (models.py),
# SKIP_MODELS=1 / SKIP_ENGINE=1.
set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
DEVICE=${DEVICE:-cuda}
PY=${PY:-python3}
OUT=${OUT:-/tmp/gpu_check_out}
SITE=${SITE:-/tmp/gpu_check_site}
WHEELS=${WHEELS-.gpu_wheels}
if [ "$DEVICE" = cuda ]; then
    FRAMES=${FRAMES:-32} SIZE=${SIZE:-224} BATCH=${BATCH:-4} REPEATS=${REPEATS:-5} WARMUP=${WARMUP:-2}
else
    FRAMES=${FRAMES:-4} SIZE=${SIZE:-32} BATCH=${BATCH:-1} REPEATS=${REPEATS:-1} WARMUP=${WARMUP:-0}
fi
mkdir -p "$OUT"
RES="$OUT/gpu_results.txt"
: >"$RES"
export PYTHONUNBUFFERED=1
say() { echo "$@" | tee -a "$RES"; }

if [ -n "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
        "$WHEELS"/*.whl || { say "wheel install failed"; exit 1; }
    export PYTHONPATH="$SITE:$REPO"
else
    export PYTHONPATH="$REPO"
fi

say "== machine"
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
    "$PY" - <<'EOF'
import platform, torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"cuDNN {torch.backends.cudnn.version()}, cuda available {torch.cuda.is_available()}")
if torch.cuda.is_available():
    print(f"device {torch.cuda.get_device_name()}, bf16 {torch.cuda.is_bf16_supported()}, "
          f"matmul TF32 {torch.backends.cuda.matmul.allow_tf32}, cuDNN TF32 {torch.backends.cudnn.allow_tf32}")
import fvcore, iopath, yacs, av
print("fvcore", fvcore.__version__, "| iopath", iopath.__version__, "| av", av.__version__, "from", av.__file__)
EOF
} 2>&1 | tee -a "$RES"

# ---------------------------------------------------------------- 1. engine end to end (first: it is quick)
check_run() {  # OUTPUT_DIR, label, rc, seconds -> one line: finite losses, checkpoint, prediction pkl
    "$PY" - "$@" <<'EOF' 2>&1 | tee -a "$RES"
import json, math, pickle, sys
from pathlib import Path
out, label, rc, secs = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
stats = [json.loads(l) for l in (out / "stats.jsonl").read_text().splitlines()] if (out / "stats.jsonl").exists() else []
train = [s for s in stats if s.get("kind") == "train"]
evals = [s for s in stats if s.get("kind") == "eval"]
losses = [s["source_loss"] for s in train]
ckpts = sorted(p.name for p in (out / "checkpoints").glob("*.pyth")) if (out / "checkpoints").exists() else []
pkls = sorted(out.glob("*.pkl"))
pkl_note = "none"
if pkls:
    d = pickle.load(open(pkls[0], "rb"))
    p = d["video_preds"]
    pkl_note = f"{pkls[0].name} preds {tuple(p.shape)} finite {bool((p == p).all() and abs(p).max() < float('inf'))}"
ok = rc == "0" and losses and all(math.isfinite(x) for x in losses) and ckpts and (out / "best.pyth").exists() and pkls
print(f"{label}: rc {rc}, {secs} s | epochs {len(train)}, source_loss {[round(x, 4) for x in losses]}, "
      f"iter_time {[round(s['iter_time'], 4) for s in train]} s | last eval "
      f"{ {k: round(v, 2) for k, v in evals[-1].items() if k.endswith('top1')} if evals else None} | "
      f"checkpoints {ckpts}, best.pyth {(out / 'best.pyth').exists()} | pkl {pkl_note} | {'OK' if ok else 'FAILED'}")
EOF
}

engine() {  # label, log name, OUTPUT_DIR, command...
    local label=$1 log=$2 dir=$3
    shift 3
    rm -rf "$dir"
    local start rc
    start=$(date +%s)
    timeout 120 "$@" >"$OUT/$log" 2>&1
    rc=$?
    check_run "$dir" "$label" "$rc" "$(( $(date +%s) - start ))"
    if [ $rc != 0 ]; then
        say "--- tail of $log:"
        grep -v 'FutureWarning\|warnings.warn' "$OUT/$log" | tail -40 | tee -a "$RES"
    fi
}

if [ "${SKIP_ENGINE:-0}" != 1 ]; then
    say ""
    say "== engine: tiny UniFormer, micro synthetic set, TRAIN.MIXED_PRECISION True, 2 epochs"
    "$PY" tools/make_synthetic_arid.py --root /tmp/micro --preset micro --force >"$OUT/engine_synth.log" 2>&1 \
        || { say "make_synthetic_arid failed"; tail -20 "$OUT/engine_synth.log" | tee -a "$RES"; }
    ARGS=(--cfg configs/tiny/uniformer.yaml DATA.PATH_PREFIX /tmp/micro NUM_GPUS 1 TRAIN.MIXED_PRECISION True
          SOLVER.MAX_EPOCH 2 TRAIN.BATCH_SIZE 8)
    engine "run_net.py (1 process)" engine_plain.log /tmp/out_amp \
        "$PY" tools/run_net.py "${ARGS[@]}" OUTPUT_DIR /tmp/out_amp
    engine "torchrun --nproc_per_node 1 run_net.py" engine_torchrun.log /tmp/out_torchrun \
        "$PY" -m torch.distributed.run --standalone --nproc_per_node 1 tools/run_net.py "${ARGS[@]}" \
        OUTPUT_DIR /tmp/out_torchrun
    # run_net.py joins a process group only when WORLD_SIZE > 1, and one GPU gives one nccl rank.
    # To push the engine's collectives (loader's DistributedSampler, all_reduce / all_gather of
    # evaluation, BN statistics, checkpoint state) through nccl, this wrapper opens a world-size-1
    # group itself under torchrun, then runs tools/run_net.py's main() in the same process.
    BACKEND=$([ "$DEVICE" = cuda ] && echo nccl || echo gloo)
    cat >/tmp/gpu_check_in_group.py <<EOF
import runpy, sys
import torch, torch.distributed as dist
kw = {"device_id": torch.device("cuda", 0)} if "$BACKEND" == "nccl" else {}
if "$BACKEND" == "nccl":
    torch.cuda.set_device(0)
dist.init_process_group("$BACKEND", **kw)
print(f"GROUP backend {dist.get_backend()}, world size {dist.get_world_size()}", flush=True)
sys.argv = ["tools/run_net.py", *sys.argv[1:]]
runpy.run_path("tools/run_net.py", run_name="__main__")
print(f"GROUP still initialised after run_net: {dist.is_initialized()}", flush=True)
if torch.cuda.is_available():
    print(f"GROUP peak CUDA memory {torch.cuda.max_memory_allocated() / 2**20:.1f} MiB", flush=True)
EOF
    engine "torchrun + $BACKEND group (world 1) around run_net.main" engine_group.log /tmp/out_group \
        "$PY" -m torch.distributed.run --standalone --nproc_per_node 1 /tmp/gpu_check_in_group.py "${ARGS[@]}" \
        OUTPUT_DIR /tmp/out_group
    grep '^GROUP' "$OUT/engine_group.log" | tee -a "$RES"
fi
# ---------------------------------------------------------------- 2. models.py, fp32 and bf16
if [ "${SKIP_MODELS:-0}" != 1 ]; then
    for AMP in none bf16; do
        say ""
        say "== models.py --amp $AMP (batch $BATCH, ${FRAMES}x${SIZE}x${SIZE}, eval and train)"
        start=$(date +%s)
        timeout 160 "$PY" benchmarks/models.py --device "$DEVICE" --amp "$AMP" --batch "$BATCH" --frames "$FRAMES" \
            --size "$SIZE" --train-full --tiny --repeats "$REPEATS" --warmup "$WARMUP" \
            >"$OUT/models_$AMP.log" 2>&1
        rc=$?
        # the table and its header lines go to the results; progress lines stay in the log
        grep -v '^  \|Warning\|warnings.warn' "$OUT/models_$AMP.log" | tee -a "$RES"
        say "(rc $rc, $(( $(date +%s) - start )) s)"
        [ $rc = 0 ] || tail -30 "$OUT/models_$AMP.log" | tee -a "$RES"
    done
fi

say ""
say "done"
