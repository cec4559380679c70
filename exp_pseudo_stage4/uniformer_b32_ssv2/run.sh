#!/usr/bin/env bash
# UniFormer-B32 (Something-Something-V2 pre-training), exp_pseudo_stage4: trains, then predicts TEST.DATA_SELECT. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" train "$(dirname "$0")" "$@"
