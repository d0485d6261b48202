#!/usr/bin/env bash
# Distributed testing: tools/dist_test.sh CONFIG CHECKPOINT NPROC [ARGS of test.py]
# Each clip is tested whole on one rank.
TOOLS=$(dirname "$0")
exec bash "$TOOLS/misc/torchrun.sh" "$3" "$TOOLS/test.py" "$1" "$2" \
    --launcher pytorch "${@:4}"
