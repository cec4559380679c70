#!/usr/bin/env bash
# SlowFast-R101 8x8 on 32 frames (Kinetics-700 pre-training), exp_pseudo_stage2: trains, then predicts TEST.DATA_SELECT. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" train "$(dirname "$0")" "$@"
