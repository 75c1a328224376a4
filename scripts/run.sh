#!/usr/bin/env bash
# Runs the explorer on the bundled model (http://127.0.0.1:8000), on a fresh machine too:
# installs the locked runtime packages into .venv/ first. Settings: CNN_EXPLORER_* (README).
# Usage: bash scripts/run.sh [python -m app arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv.sh
echo "==> installing the locked packages into .venv/"
uv sync --locked --inexact --quiet || {
  echo "uv.lock does not match pyproject.toml: run 'uv lock' and commit uv.lock" >&2
  exit 1
}
exec .venv/bin/python -m app "$@"
