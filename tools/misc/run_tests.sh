#!/usr/bin/env bash
# Set up (or reuse) .venv and run the whole test suite (unit tests, doctests,
# and the tests on real CamVid frames / ESPNet weights from ../shared, which
# skip with a reason when ../shared is absent). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/misc/install.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
python -m pytest -n 2 --dist loadfile --doctest-modules mmvseg tests "$@"
