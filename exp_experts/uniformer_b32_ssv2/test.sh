#!/usr/bin/env bash
# Dense-sampling expert, UniFormer-B32 (SSv2 pre-training), exp_experts: predicts with best.pyth. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" test "$(dirname "$0")" "$@"
