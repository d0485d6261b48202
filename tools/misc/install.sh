#!/usr/bin/env bash
# Set up (or reuse) the virtual environment .venv with everything mmvseg needs.
#
# Idempotent: a stamp records the hash of the requirement files; a second run
# with unchanged requirements does nothing. Order and pins follow
# docs/en/get_started.md: torch first, runtime deps, then the OpenMMLab
# packages with --no-deps (their metadata asks for the GUI opencv-python next
# to our opencv-python-headless), then mmvseg itself (editable).
#
# mmcv 2.1.0 (full, with its compiled ops) is taken from ../shared/wheels when
# a wheel built for the installed torch is there; otherwise it is built from
# the PyPI sdist (tools/misc/build_mmcv.sh, about 30 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}

stamp_of() {
    cat requirements/*.txt setup.py tools/misc/install.sh | sha256sum | cut -d' ' -f1
}

if [ ! -x "$VENV/bin/python" ]; then
    echo "[mmvseg] creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
STAMP="$VENV/.mmvseg-install-stamp"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_of)" ]; then
    echo "[mmvseg] $VENV is up to date"
    exit 0
fi

python -m pip install --quiet --upgrade pip
echo "[mmvseg] installing torch and the runtime dependencies"
python -m pip install --quiet "$(grep '^torch==' requirements/runtime.txt)" \
    "$(grep '^torchvision==' requirements/runtime.txt)"
python -m pip install --quiet -r requirements/runtime.txt \
    -r requirements/tests.txt -r requirements/optional.txt

TORCH_VERSION=$(python -c 'import torch; print(torch.__version__.split("+")[0])')
WHEEL=$(ls ../shared/wheels/mmcv-2.1.0-cp311-*.whl 2>/dev/null | head -n 1 || true)
if python -c 'import mmcv.ops' 2>/dev/null; then
    echo "[mmvseg] mmcv with compiled ops is already installed"
elif [ -n "$WHEEL" ] && [ "$TORCH_VERSION" = "2.14.1" ]; then
    echo "[mmvseg] installing $WHEEL (built for torch 2.14.1)"
    python -m pip install --quiet --no-deps "$WHEEL"
else
    echo "[mmvseg] no mmcv wheel for torch $TORCH_VERSION: building mmcv 2.1.0 from source (~30 min)"
    bash tools/misc/build_mmcv.sh
fi
python -m pip install --quiet --no-deps -r requirements/openmmlab.txt
python -m pip install --quiet --no-deps --no-build-isolation -e .
python -c 'import mmvseg, mmcv.ops, mmseg.models; print("[mmvseg] environment ready: mmvseg", mmvseg.__version__)'
stamp_of > "$STAMP"
