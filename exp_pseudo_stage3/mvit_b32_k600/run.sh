#!/usr/bin/env bash
# MViT-B 32x3 (Kinetics-600 pre-training), exp_pseudo_stage3: trains, then predicts TEST.DATA_SELECT. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" train "$(dirname "$0")" "$@"
