#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs every test.
# The project's virtual environment .venv/ is synced exactly to uv.lock (with the test extras)
# on every run: a package missing from the lock, or one left from an earlier install, cannot
# leak in, and a version that drifted from the lock is put back.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
[ -x /usr/bin/redis-server ] || apt_packages+=(redis-server)  # the training queue's Redis backend
if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "==> installing Debian's ${apt_packages[*]} for the tests"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

source scripts/uv.sh
echo "==> syncing .venv/ to uv.lock (runtime + test extras)"
uv sync --locked --extra test --quiet || {
  echo "uv.lock does not match pyproject.toml: run 'uv lock' and commit uv.lock" >&2
  exit 1
}
PY=.venv/bin/python

echo "==> ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .

echo "==> pytest"
set +e
"$PY" -m pytest "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$rc"
