#!/usr/bin/env bash
# UniFormer-B32 (Kinetics-600 pre-training), exp_pseudo_stage3: predicts with best.pyth. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" test "$(dirname "$0")" "$@"
