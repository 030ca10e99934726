#!/usr/bin/env bash
# Create .venv (Python 3.11) if missing and install the pinned requirements; a no-op when nothing changed.
# Usage: bash scripts/setup.sh [requirements-file]
set -euo pipefail
cd "$(dirname "$0")/.."
REQ="${1:-requirements.txt}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version}"'
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.setup-$(basename "$REQ")"
want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" > "$stamp"
fi
