#!/usr/bin/env bash
# Install (first time) and run the checks: ruff, the import-layer contract (lint-imports), then the whole pytest suite.
# Extra arguments go to pytest, e.g. -k convolution, or the fast tier: -m "not e2e and not ray and not load".
# In parallel (pytest-xdist): one worker per CPU the process may use (PYTEST_WORKERS, e.g. 4; 0 runs serially); the
# crawler, the other browser tests, Ray and load each on one worker in file order, the others by file (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/setup-browser.sh
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-logical}" "$@"
