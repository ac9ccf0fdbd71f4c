#!/usr/bin/env bash
# Runs `vitest run` (arguments are passed through) so that nothing it starts outlives it:
#  - vitest runs in its own session/process group; whatever is still in that group when it exits
#    (e.g. a time-skipping test server left by a crashed test fork) is reported and killed.
#  - the servers of the global setup (own process groups) are stopped by its teardown, or by its
#    orphan reaper if vitest dies.
# Ends with the plain line `vitest: N passed, N failed, N skipped`. Exit code: vitest's.
# Uses the `node` first on PATH (so PATH=<node24>/bin:$PATH runs the whole suite on that Node).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VITEST="$ROOT/node_modules/vitest/vitest.mjs"
[ -f "$VITEST" ] || { echo "[vitest.sh] ERROR: $VITEST not found - run 'npm ci' first" >&2; exit 1; }

report="$(mktemp "${TMPDIR:-/tmp}/vitest-report.XXXXXX")"
pid=""
group_ok=0

kill_group() {
  [ "$group_ok" = "1" ] || return 0
  local left
  # live members of the group (zombies waiting to be reaped don't count)
  left="$(ps -o pid=,stat= --sid "$pid" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}' || true)"
  [ -n "$left" ] || return 0
  echo "[vitest.sh] processes left in vitest's process group $pid - killing them:" >&2
  ps -o pid=,args= -p "$(echo "$left" | paste -sd, -)" 2>/dev/null | cut -c1-200 | sed 's/^/[vitest.sh]   /' >&2 || true
  # shellcheck disable=SC2086 # $left is a list of pids
  kill -TERM -- "-$pid" $left 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -n "$(ps -o pid=,stat= --sid "$pid" 2>/dev/null | awk '$2 !~ /^Z/')" ] || return 0
    sleep 0.3
  done
  # shellcheck disable=SC2086
  kill -KILL -- "-$pid" $left 2>/dev/null || true
}

on_signal() {
  echo "[vitest.sh] interrupted; stopping vitest" >&2
  if [ -n "$pid" ]; then
    if [ "$group_ok" = "1" ]; then kill -INT -- "-$pid" 2>/dev/null || true; else kill -INT "$pid" 2>/dev/null || true; fi
    # give the global setup's teardown a chance to stop the servers
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  kill_group
  rm -f "$report"
  exit 130
}
trap on_signal INT TERM
trap 'rm -f "$report"' EXIT

echo "[vitest.sh] node $(node --version) ($(command -v node)); vitest run $*"
args=(run --reporter=default --reporter=json "--outputFile.json=$report" "$@")
if command -v setsid >/dev/null 2>&1; then
  # Non-interactive bash: the background child is not a group leader, so setsid(1) calls setsid()
  # in place and the session/process-group id equals $!.
  setsid node "$VITEST" "${args[@]}" &
else
  node "$VITEST" "${args[@]}" &
fi
pid=$!
for _ in $(seq 1 40); do
  if [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then group_ok=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.025
done
wait "$pid"
rc=$?
kill_group

if [ -s "$report" ]; then
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/vitest-summary.ts" "$report" || true
else
  echo "[vitest.sh] vitest wrote no JSON report (global setup failed or vitest crashed; see above)" >&2
fi
exit "$rc"
