#!/usr/bin/env bash
# SlowFast-R101 8x8 on 32 frames (Kinetics-700 pre-training), exp_pseudo_stage2: predicts with best.pyth. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" test "$(dirname "$0")" "$@"
