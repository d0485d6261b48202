#!/usr/bin/env bash
# Set up (or reuse) the virtual environment .venv with everything mmvseg needs.
#
# Idempotent: a stamp records the hash of the requirement files; a second run
# with unchanged requirements does nothing. Order and pins follow
# docs/en/get_started.md: torch first, runtime deps, then the OpenMMLab
# packages with --no-deps (their metadata asks for the GUI opencv-python next
# to our opencv-python-headless), then mmvseg itself (editable).
#
# mmcv (full, with its compiled ops; the version pinned in
# requirements/mmcv.txt, 2.0.1 for mmflow 1.0.0rc0) is taken from
# ../shared/wheels when a wheel built for the installed torch is there;
# otherwise it is built from the PyPI sdist (tools/misc/build_mmcv.sh, about
# 15-30 minutes on 2 cores). An environment that holds another mmcv version
# (e.g. the 2.1.0 of earlier releases), or mmcv without compiled ops, gets the
# pinned one instead.
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

MMCV_VERSION=$(sed -n 's/^mmcv==//p' requirements/mmcv.txt)
WHEEL_TORCH=2.14.1  # the torch the wheels in ../shared/wheels were built for
TORCH_VERSION=$(python -c 'import torch; print(torch.__version__.split("+")[0])')
WHEEL=$(ls ../shared/wheels/mmcv-"$MMCV_VERSION"-cp311-*.whl 2>/dev/null | head -n 1 || true)
# exit status 0 only for the pinned version with loadable compiled ops
# (a build for another torch fails to load mmcv._ext)
if python - "$MMCV_VERSION" 2>/dev/null <<'PY'
import sys
import mmcv
import mmcv.ops  # noqa: F401
sys.exit(mmcv.__version__ != sys.argv[1])
PY
then
    echo "[mmvseg] mmcv $MMCV_VERSION with compiled ops is already installed"
else
    FOUND=$(python -c 'import mmcv; print(mmcv.__version__)' 2>/dev/null || echo none)
    echo "[mmvseg] mmcv: found $FOUND, need $MMCV_VERSION with compiled ops"
    if [ -n "$WHEEL" ] && [ "$TORCH_VERSION" = "$WHEEL_TORCH" ]; then
        echo "[mmvseg] installing $WHEEL (built for torch $WHEEL_TORCH)"
        python -m pip install --quiet --no-deps --force-reinstall "$WHEEL"
    else
        echo "[mmvseg] no mmcv $MMCV_VERSION wheel for torch $TORCH_VERSION: building it from source (~15-30 min)"
        bash tools/misc/build_mmcv.sh
    fi
fi
python -m pip install --quiet --no-deps -r requirements/openmmlab.txt
python -m pip install --quiet --no-deps --no-build-isolation -e .
python -c 'import mmvseg, mmcv.ops, mmseg.models, mmflow.models; print("[mmvseg] environment ready: mmvseg", mmvseg.__version__, "mmcv", mmcv.__version__, "mmflow", mmflow.__version__)'
stamp_of > "$STAMP"
