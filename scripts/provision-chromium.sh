#!/usr/bin/env bash
# Provision the headless browser of the Temporal Web UI test (test/ui/): Debian's `chromium` package,
# driven by playwright-core with executablePath (playwright's own browser download cannot work here).
# Idempotent: when a Chromium is there it is only verified. Prints nothing but progress lines.
#
# Environment:
#   CHROMIUM_PATH   use this Chromium instead of /usr/bin/chromium (must run `--version`)
set -euo pipefail

log() { printf '[provision-chromium] %s\n' "$*"; }
die() { printf '[provision-chromium] ERROR: %s\n' "$*" >&2; exit 1; }

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  [ -z "${CHROMIUM_PATH:-}" ] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  command -v apt-get >/dev/null 2>&1 || die "no Chromium at $CHROMIUM and no apt-get to install Debian's chromium; install it or set CHROMIUM_PATH"
  sudo=""
  if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null 2>&1 || die "installing Debian's chromium needs root (or sudo); or set CHROMIUM_PATH"
    sudo="sudo -n"
  fi
  log "installing Debian's chromium (apt-get install -y chromium)"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q chromium >/tmp/provision-chromium.log 2>&1; then
    log "apt-get install failed; refreshing the package lists and trying again"
    $sudo apt-get update -q >>/tmp/provision-chromium.log 2>&1 || true
    $sudo apt-get install -y -q chromium >>/tmp/provision-chromium.log 2>&1 \
      || die "apt-get install chromium failed; see /tmp/provision-chromium.log: $(tail -5 /tmp/provision-chromium.log)"
  fi
fi

version="$(timeout 30 "$CHROMIUM" --headless --no-sandbox --version 2>/dev/null || true)"
case "$version" in
  *Chromium*|*Chrome*) log "chromium ok: $CHROMIUM ($version)" ;;
  *) die "$CHROMIUM does not run as expected (--version printed: ${version:0:200})" ;;
esac
