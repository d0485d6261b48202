#!/usr/bin/env bash
# Slurm testing: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [ARGS of test.py]
TOOLS=$(dirname "$0")
exec bash "$TOOLS/misc/srun.sh" "$1" "$2" "$TOOLS/test.py" "$3" "$4" "${@:5}"
