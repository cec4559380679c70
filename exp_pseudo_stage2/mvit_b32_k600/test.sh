#!/usr/bin/env bash
# MViT-B 32x3 (Kinetics-600 pre-training), exp_pseudo_stage2: predicts with best.pyth. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" test "$(dirname "$0")" "$@"
