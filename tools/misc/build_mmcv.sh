#!/usr/bin/env bash
# Build and install full mmcv 2.1.0 (CPU ops) from the PyPI sdist for the
# torch installed in the active environment. Two fixes are needed on this
# stack (docs/en/get_started.md, "Why mmcv is built from source"):
#   1. setuptools < 81: mmcv's setup.py imports pkg_resources;
#   2. -std=c++20 instead of -std=c++17: torch 2.14's ATen headers need C++20.
# Takes about 27 minutes on 2 cores. Set FORCE_CUDA=1 on a machine with the
# CUDA toolkit to build the GPU ops as well.
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python -m pip install --quiet -r "$(dirname "$0")/../../requirements/build.txt"
python -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
    mmcv==2.1.0 -d "$WORK"
tar xzf "$WORK"/mmcv-2.1.0.tar.gz -C "$WORK"
sed -i "s/'-std=c++17'/'-std=c++20'/g" "$WORK/mmcv-2.1.0/setup.py"
MMCV_WITH_OPS=1 FORCE_CUDA=${FORCE_CUDA:-0} MAX_JOBS=${MAX_JOBS:-2} \
    python -m pip wheel --no-deps --no-build-isolation "$WORK/mmcv-2.1.0" -w "$WORK/wheels"
python -m pip install --no-deps "$WORK"/wheels/mmcv-2.1.0-*.whl
