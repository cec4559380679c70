#!/usr/bin/env bash
# Runs one experiment folder through tools/run_net.py: what every exp_*/*/run.sh and test.sh call.
#
#   launch_exp.sh train|test EXP_DIR [KEY VALUE ...]
#
# train: trains, then predicts TEST.DATA_SELECT with the best checkpoint (PySlowFast's order).
# test:  predicts only (TRAIN.ENABLE False); pass e.g. TEST.DATA_SELECT test TEST.NUM_SPATIAL_CROPS 3.
# DARKVID_PRESET=tiny swaps the folder's GPU base config for its CPU preset, the one that
#   configs/experiments.yaml names (small models for the synthetic dataset); unset, the seed's GPU
#   settings apply.
# DARKVID_LAUNCHER replaces `python`, e.g. DARKVID_LAUNCHER="torchrun --nproc_per_node 4".
# Paths in the configs (OUTPUT_DIR, DATA.PATH_PREFIX, ...) are relative to the current directory:
# run from the repository root, as the seed did, or from a work directory laid out the same way.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: launch_exp.sh train|test EXP_DIR [KEY VALUE ...]" >&2
  exit 2
fi
mode=$1 exp_dir=$2
shift 2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
args=(--cfg "$exp_dir/config.yaml")
case ${DARKVID_PRESET:-gpu} in
  tiny)
    exp=$(cd "$exp_dir" && pwd -P)
    exp=${exp#"$(cd "$repo" && pwd -P)"/}
    table=$repo/configs/experiments.yaml
    cpu_preset=$(awk -v key="$exp:" '$1 == key { print $2 }' "$table")
    if [ -z "$cpu_preset" ]; then
      echo "launch_exp.sh: $table names no CPU preset for $exp" >&2
      exit 2
    fi
    args+=(--base "$repo/$cpu_preset") ;;
  gpu) ;;
  *) echo "launch_exp.sh: DARKVID_PRESET must be gpu or tiny, got '$DARKVID_PRESET'" >&2; exit 2 ;;
esac
case $mode in
  train) ;;
  test) args+=(TRAIN.ENABLE False) ;;
  *) echo "launch_exp.sh: the mode must be train or test, got '$mode'" >&2; exit 2 ;;
esac
exec ${DARKVID_LAUNCHER:-python} "$repo/tools/run_net.py" "${args[@]}" "$@"
