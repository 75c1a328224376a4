#!/usr/bin/env bash
# Runs the whole suite (scripts/test.sh, the README's test command) with CPU hogs beside it, as
# a loaded CI machine would be: one busy loop per core by default (HOGS=2 on a 2-core machine).
# The hogs end with the run, however it ends. Prints the wall time at the end.
# Usage: bash scripts/test_under_load.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

hogs="${HOGS:-$(nproc)}"
pids=()
stop_hogs() { [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null; true; }
trap stop_hogs EXIT INT TERM
for _ in $(seq "$hogs"); do
  python3 -c "while True: pass" &
  pids+=($!)
done
echo "==> $hogs CPU hogs running beside the suite (pids ${pids[*]})"

start=$(date +%s)
set +e
bash scripts/test.sh "$@"
rc=$?
set -e
echo "==> the suite under load: exit $rc, wall $(( $(date +%s) - start )) s"
exit "$rc"
