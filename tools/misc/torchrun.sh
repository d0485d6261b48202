#!/usr/bin/env bash
# torchrun SCRIPT on NPROC processes per node: torchrun.sh NPROC SCRIPT [ARGS]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR (as mmseg's scripts).
# On CPU-only hosts mmvseg switches the backend to gloo (docs/en/get_started.md).
NPROC=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
exec torchrun \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$SCRIPT" "${@:3}"
