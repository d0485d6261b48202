#!/usr/bin/env bash
# Slurm training: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [ARGS of train.py]
# (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS as in tools/misc/srun.sh)
TOOLS=$(dirname "$0")
exec bash "$TOOLS/misc/srun.sh" "$1" "$2" "$TOOLS/train.py" "$3" "${@:4}"
