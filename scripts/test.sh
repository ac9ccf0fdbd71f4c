#!/usr/bin/env bash
# `npm test`: provision the server binaries and Debian's Chromium (Web UI test), lint, typecheck, then the whole vitest suite against
# real servers (Temporal dev server, time-skipping test server, fake-gcs-server).
# Extra arguments go to vitest, e.g. `npm test -- test/smoke/fake-gcs.test.ts`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step_no=0
current="setup"
step() {
  step_no=$((step_no + 1))
  current="$*"
  printf '\n==> [%d/4] %s\n' "$step_no" "$*"
  step_started=$(date +%s)
}
done_step() { printf '==> [%d/4] ok (%d s)\n' "$step_no" "$(( $(date +%s) - step_started ))"; }
trap 'rc=$?; [ $rc -eq 0 ] || printf "\n==> FAILED (exit %d) at step [%d/4] %s\n" "$rc" "$step_no" "$current" >&2' EXIT

[ -d node_modules ] || { echo "node_modules missing: run 'npm ci' first" >&2; exit 1; }

step "provision server binaries and Chromium (scripts/provision-tools.sh, scripts/provision-chromium.sh)"
bash scripts/provision-tools.sh
bash scripts/provision-chromium.sh
done_step

step "lint and format (npm run lint, npm run format:check)"
npm run --silent lint
npm run --silent format:check
done_step

step "typecheck (npm run typecheck)"
npm run --silent typecheck
done_step

step "tests (vitest run, real servers)"
bash scripts/vitest.sh "$@"
done_step
