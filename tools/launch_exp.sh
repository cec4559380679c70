#!/usr/bin/env bash
# Runs one experiment folder through tools/run_net.py: what every exp_*/*/run.sh and test.sh call.
#
#   launch_exp.sh train|test EXP_DIR CPU_PRESET [KEY VALUE ...]
#
# train: trains, then predicts TEST.DATA_SELECT with the best checkpoint (PySlowFast's order).
# test:  predicts only (TRAIN.ENABLE False); pass e.g. TEST.DATA_SELECT test TEST.NUM_SPATIAL_CROPS 3.
# DARKVID_PRESET=tiny swaps the folder's GPU base config for CPU_PRESET (small models for the
#   synthetic dataset); unset, the seed's GPU settings apply.
# DARKVID_LAUNCHER replaces `python`, e.g. DARKVID_LAUNCHER="torchrun --nproc_per_node 4".
# Paths in the configs (OUTPUT_DIR, DATA.PATH_PREFIX, ...) are relative to the current directory:
# run from the repository root, as the seed did, or from a work directory laid out the same way.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: launch_exp.sh train|test EXP_DIR CPU_PRESET [KEY VALUE ...]" >&2
  exit 2
fi
mode=$1 exp_dir=$2 cpu_preset=$3
shift 3
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
args=(--cfg "$exp_dir/config.yaml")
case ${DARKVID_PRESET:-gpu} in
  tiny) args+=(--base "$repo/$cpu_preset") ;;
  gpu) ;;
  *) echo "launch_exp.sh: DARKVID_PRESET must be gpu or tiny, got '$DARKVID_PRESET'" >&2; exit 2 ;;
esac
case $mode in
  train) ;;
  test) args+=(TRAIN.ENABLE False) ;;
  *) echo "launch_exp.sh: the mode must be train or test, got '$mode'" >&2; exit 2 ;;
esac
exec ${DARKVID_LAUNCHER:-python} "$repo/tools/run_net.py" "${args[@]}" "$@"
