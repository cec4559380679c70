#!/usr/bin/env bash
# Dense-sampling expert, UniFormer-B32 (SSv2 pre-training), exp_experts: trains, then predicts TEST.DATA_SELECT. Options: tools/launch_exp.sh.
exec bash "$(dirname "$0")/../../tools/launch_exp.sh" train "$(dirname "$0")" "$@"
