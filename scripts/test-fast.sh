#!/usr/bin/env bash
# The fast tier while developing: ruff, the import-layer contract, then every test but the browser (e2e), Ray, load
# and slow ones (a few minutes on 2 cores). Extra arguments go to pytest. The full suite: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/test.sh -m "not e2e and not ray and not load and not slow" "$@"
