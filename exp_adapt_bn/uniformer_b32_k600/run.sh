#!/usr/bin/env bash
# UniFormer-B32 (Kinetics-600 pre-training), exp_adapt_bn: trains, then predicts TEST.DATA_SELECT. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" train "$(dirname "$0")" "$@"
