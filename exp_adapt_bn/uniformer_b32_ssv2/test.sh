#!/usr/bin/env bash
# UniFormer-B32 (Something-Something-V2 pre-training), exp_adapt_bn: predicts with best.pyth. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" test "$(dirname "$0")" "$@"
