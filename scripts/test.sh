#!/usr/bin/env bash
# Install (first time) and run the checks: ruff, then the whole pytest suite.
# Extra arguments go to pytest, e.g. -k convolution.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/setup-browser.sh
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
