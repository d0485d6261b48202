#!/usr/bin/env bash
# srun SCRIPT on a Slurm partition: srun.sh PARTITION JOB_NAME SCRIPT [ARGS]
# Environment: GPUS (tasks), GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS.
set -x

PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

# shellcheck disable=SC2086
PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    python -u "$SCRIPT" "${@:4}" --launcher=slurm
