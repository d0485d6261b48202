#!/usr/bin/env bash
# Build and install full mmcv (CPU ops; the version pinned in
# requirements/mmcv.txt, 2.0.1) from the PyPI sdist for the torch installed in
# the active environment. Two fixes are needed on this stack
# (docs/en/get_started.md, "Why mmcv is built from source"):
#   1. setuptools < 81: mmcv's setup.py imports pkg_resources;
#   2. -std=c++20 instead of -std=c++14 / -std=c++17 (mmcv 2.0.1's setup.py
#      hard-codes both in several places): torch 2.14's ATen headers need
#      C++20.
# Takes about 12 minutes (2.0.1) to 27 minutes (2.1.0) on 2 cores. Set
# FORCE_CUDA=1 on a machine with the CUDA toolkit to build the GPU ops as well
# (mmcv's Correlation op, used by mmflow's PWC-Net, LiteFlowNet and FlowNet2,
# has CUDA kernels only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION=$(sed -n 's/^mmcv==//p' "$ROOT/requirements/mmcv.txt")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python -m pip install --quiet -r "$ROOT/requirements/build.txt"
python -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$VERSION" -d "$WORK"
tar xzf "$WORK/mmcv-$VERSION.tar.gz" -C "$WORK"
sed -i "s/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g" \
    "$WORK/mmcv-$VERSION/setup.py"
MMCV_WITH_OPS=1 FORCE_CUDA=${FORCE_CUDA:-0} MAX_JOBS=${MAX_JOBS:-2} \
    python -m pip wheel --no-deps --no-build-isolation "$WORK/mmcv-$VERSION" -w "$WORK/wheels"
python -m pip install --no-deps --force-reinstall "$WORK"/wheels/mmcv-"$VERSION"-*.whl
