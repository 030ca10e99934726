#!/usr/bin/env bash
# Install (first time) and start the dashboard on http://localhost:8501.
# Extra arguments go to `streamlit run`, e.g. --server.port 8600.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
.venv/bin/python -m cnn_core.classroom.room  # refuses a lecturer key a learner could guess (prints a generated one)
exec .venv/bin/streamlit run app.py "$@"
