#!/usr/bin/env bash
# Pre-trains the tiny CPU models and writes pretrained/tiny/*.pyth (weights only).
#
# The full models start from published Kinetics / SSv2 weights; the tiny ones start from these,
# made the same way: supervised training on a larger normal-light action set that is not the
# demo's (the synthetic `pretrain` preset: another generator seed, freer framing, no dark videos).
# The two UniFormers get two pre-training runs (two RNG seeds), standing in for the seed's K600 and
# SSv2 pre-trainings.
#
#   bash tools/pretrain_tiny.sh [WORK_DIR]     (default work_dirs/pretrain_tiny)
#
# Environment: PYTHON (python), NUM_GPUS (1 if CUDA is available, else 0), EPOCHS (per run, below),
# WARMUP (2.0; 1.0 for a second part), BATCH (8), WORKERS (loader workers per run, 0), GEN_WORKERS
# (generator processes, 2), PRESET (synthetic preset, pretrain), DATA_SEED (1000), PARALLEL (1: the
# runs at once; 0: one after another), MODELS (names of the runs to do; default all), DEST (where
# the weights go, pretrained/tiny), OMP_NUM_THREADS (per run; default cores / parallel runs).
# MODEL_ZOO.md gives the command and machine that made the shipped files.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-work_dirs/pretrain_tiny}
py=${PYTHON:-python}
gpus=${NUM_GPUS:-$("$py" -c 'import torch; print(int(torch.cuda.is_available()))')}
batch=${BATCH:-8} workers=${WORKERS:-0} preset=${PRESET:-pretrain} dest=${DEST:-$repo/pretrained/tiny}
mkdir -p "$work"
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"

data_seed=${DATA_SEED:-1000}
"$py" "$repo/tools/make_synthetic_arid.py" --root "$work/data_$data_seed" --preset "$preset" --seed "$data_seed" \
  --workers "${GEN_WORKERS:-2}"

# name, tiny config, data seed, RNG seed, learning rate, epochs[, second learning rate, epochs]:
# what made the shipped files. A second pair trains again from the first part's best weights
# (a fresh optimiser and schedule). EPOCHS, if set, replaces every part's epochs; MODELS picks runs.
# (the tiny MViT needs a low rate from scratch: at 5e-4 it stayed near chance for 15 epochs and
# ended at 22%; once it has learnt something 5e-4 is safe and faster)
runs=("uniformer_k600 uniformer $data_seed 0 1e-3 30" "uniformer_ssv2 uniformer $data_seed 1 5e-4 60"
      "mvit mvit $data_seed 0 2e-4 50 5e-4 50" "sf sf $data_seed 0 3e-3 16")
fit() {  # OUT_NAME CFG DATA SEED LR EPOCHS WARMUP_EPOCHS INIT
  local out=$1 cfg=$2 data=$3 seed=$4 lr=$5 epochs=$6 warmup=$7 init=$8
  "$py" "$repo/tools/run_net.py" --cfg "$repo/configs/tiny/$cfg.yaml" \
    DATA.PATH_PREFIX "$work/data_$data" DATA.SPLIT_CSV.TRAIN_LABEL train_label.csv \
    DATA.CACHE_DIR "$work/cache" DATA.CACHE_SHORT_SIDE 96 DATA_LOADER.NUM_WORKERS "$workers" \
    OUTPUT_DIR "$work/$out" TRAIN.CHECKPOINT_FILE_PATH "$init" TRAIN.EVAL_SPLITS "['val_dry']" TRAIN.BEST_SPLIT val_dry \
    TRAIN.BATCH_SIZE "$batch" TEST.BATCH_SIZE "$batch" SOLVER.BASE_LR "$lr" SOLVER.MAX_EPOCH "$epochs" \
    SOLVER.WARMUP_EPOCHS "$warmup" TRAIN.EVAL_PERIOD 5 TRAIN.CHECKPOINT_PERIOD 10 BN.USE_PRECISE_STATS False \
    DATA.GAMMA_MODE off TRAIN.MIXED_PRECISION True NUM_GPUS "$gpus" RNG_SEED "$seed" TEST.DATA_SELECT val_dry \
    >"$work/$out.log" 2>&1 || { echo "pretraining $out failed; end of $work/$out.log:" >&2; tail -20 "$work/$out.log" >&2; return 1; }
  grep "tested" "$work/$out.log" | tail -1
}
train() {
  local name=$1 cfg=$2 data=$3 seed=$4 lr=$5 epochs=${EPOCHS:-$6} lr2=${7:-} epochs2=${EPOCHS:-${8:-}}
  local note="tools/pretrain_tiny.sh: configs/tiny/$cfg.yaml, synthetic $preset seed $data, $epochs epochs, lr $lr, seed $seed"
  if [ -n "$lr2" ]; then
    fit "${name}_part1" "$cfg" "$data" "$seed" "$lr" "$epochs" "${WARMUP:-2.0}" "" || return 1
    fit "$name" "$cfg" "$data" "$seed" "$lr2" "$epochs2" "${WARMUP:-1.0}" "$work/${name}_part1/best.pyth" || return 1
    note="$note, then $epochs2 epochs at lr $lr2 from its best weights"
  else
    fit "$name" "$cfg" "$data" "$seed" "$lr" "$epochs" "${WARMUP:-2.0}" "" || return 1
  fi
  "$py" "$repo/tools/export_weights.py" "$work/$name/best.pyth" "$dest/$name.pyth" --note "$note"
}
chosen=()
for run in "${runs[@]}"; do
  if [ -z "${MODELS:-}" ] || [[ " $MODELS " == *" ${run%% *} "* ]]; then chosen+=("$run"); fi
done
if [ "${PARALLEL:-1}" = 1 ] && [ -z "${OMP_NUM_THREADS:-}" ]; then
  # parallel runs share the cores instead of each starting one thread per core
  threads=$(( $(nproc) / ${#chosen[@]} )); export OMP_NUM_THREADS=$(( threads > 0 ? threads : 1 ))
fi
pids=()
for run in "${chosen[@]}"; do
  if [ "${PARALLEL:-1}" = 1 ]; then train $run & pids+=($!); else train $run; fi
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
