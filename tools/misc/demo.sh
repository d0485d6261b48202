#!/usr/bin/env bash
# The main job on an embedded default: set up (or reuse) .venv, generate the
# demo clips (data/demo, CamVid layout), train SSP for a short schedule with
# tools/train.py, then test it with tools/test.py (mIoU and temporal
# consistency are printed at the end). About 5 minutes on 2 CPU cores after
# the install.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/misc/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
CONFIG=configs/ssp/ssp_espnet-p2-q8_1xb4-300_demo-96x128.py
WORK_DIR=work_dirs/demo
python tools/misc/generate_demo_data.py --out-dir data/demo
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
python tools/test.py "$CONFIG" "$WORK_DIR/iter_300.pth" --work-dir "$WORK_DIR" \
    --show-dir "$WORK_DIR/show"
echo "[mmvseg] overlays and one mp4 per clip: $WORK_DIR/show"
