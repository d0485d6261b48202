#!/usr/bin/env bash
# Distributed training: tools/dist_train.sh CONFIG NPROC [ARGS of train.py]
# (torchrun; NNODES, NODE_RANK, PORT, MASTER_ADDR as in tools/misc/torchrun.sh)
TOOLS=$(dirname "$0")
exec bash "$TOOLS/misc/torchrun.sh" "$2" "$TOOLS/train.py" "$1" \
    --launcher pytorch "${@:3}"
